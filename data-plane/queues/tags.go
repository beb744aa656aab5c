package queues

import (
	"maps"
	"strings"

	"github.com/sluice-mq/sluice/data-plane/sqserr"
)

const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// errNoTags is TagQueue without tags or UntagQueue without keys: SQS
// requires both lists (Tags and TagKeys are required members of its model)
// and answers a missing required parameter with MissingParameter in the
// words it uses for MessageBody (recorded, see msgattr.ValidateBody). No
// recorded response for these two was found; the text is ours in that form.
func errNoTags(param string) error {
	return sqserr.Errorf(sqserr.CodeMissingParameter, "The request must contain the parameter %s.", param)
}

func validateTags(tags map[string]string) error {
	for k, v := range tags {
		if k == "" || len(k) > maxTagKeyLen || len(v) > maxTagValueLen || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return sqserr.Errorf(sqserr.CodeInvalidParameterValue, "Tag %q is invalid: keys are 1 to %d characters, values at most %d, and the aws: prefix is reserved.", k, maxTagKeyLen, maxTagValueLen)
		}
	}
	if len(tags) > maxTags {
		// More than 50 tags: SQS's docs advise against it ("Adding more than
		// 50 tags to a queue isn't recommended", API_TagQueue) and Sluice
		// refuses it. No recorded SQS response; the text is ours.
		return sqserr.Errorf(sqserr.CodeInvalidParameterValue, "Too many tags: a queue can have at most %d.", maxTags)
	}
	return nil
}

// addTags adds or replaces tags of q, refusing a result over the limits.
func addTags(q *Record, tags map[string]string) error {
	merged := maps.Clone(q.Tags)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, tags)
	if err := validateTags(merged); err != nil {
		return err
	}
	q.Tags = merged
	return nil
}

// removeTags removes tags of q; missing keys are ignored.
func removeTags(q *Record, keys []string) {
	for _, k := range keys {
		delete(q.Tags, k)
	}
}
