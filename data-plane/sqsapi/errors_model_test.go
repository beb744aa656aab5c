package sqsapi

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sqs/schemas"
	smithy "github.com/aws/smithy-go"
	smithytraits "github.com/aws/smithy-go/traits"
)

// modelErrors are the error shapes of SQS's Smithy model as aws-sdk-go-v2
// ships it (service/sqs/schemas): every error SQS declares.
var modelErrors = []*smithy.Schema{
	schemas.BatchEntryIdsNotDistinct, schemas.BatchRequestTooLong, schemas.EmptyBatchRequest,
	schemas.InvalidAddress, schemas.InvalidAttributeName, schemas.InvalidAttributeValue,
	schemas.InvalidBatchEntryId, schemas.InvalidIdFormat, schemas.InvalidMessageContents,
	schemas.InvalidSecurity, schemas.KmsAccessDenied, schemas.KmsDisabled, schemas.KmsInvalidKeyUsage,
	schemas.KmsInvalidState, schemas.KmsNotFound, schemas.KmsOptInRequired, schemas.KmsThrottled,
	schemas.MessageNotInflight, schemas.OverLimit, schemas.PurgeQueueInProgress,
	schemas.QueueDeletedRecently, schemas.QueueDoesNotExist, schemas.QueueNameExists,
	schemas.ReceiptHandleIsInvalid, schemas.RequestThrottled, schemas.ResourceNotFoundException,
	schemas.TooManyEntriesInBatchRequest, schemas.UnsupportedOperation,
}

// TestErrorTableMatchesModel walks the modelled table against the model:
// each shape's Query code (awsQueryError, or the shape name without one)
// has the shape's HTTP status (httpError; a client error without one is
// 400), and every model error but the KMS ones (Sluice has no KMS) is in
// the table.
func TestErrorTableMatchesModel(t *testing.T) {
	inModel := map[string]bool{}
	for _, s := range modelErrors {
		shape := s.ID().Name
		code, status := shape, 400
		if q, ok := smithy.SchemaTrait[*smithytraits.AWSQueryError](s); ok {
			code, status = q.ErrorCode, q.StatusCode
		}
		if h, ok := smithy.SchemaTrait[*smithytraits.HTTPError](s); ok && h.Code != status {
			t.Errorf("%s: model's httpError %d and awsQueryError %d differ", shape, h.Code, status)
		}
		inModel[code] = true
		got, ok := modelled[code]
		if !ok {
			if !strings.HasPrefix(shape, "Kms") {
				t.Errorf("%s (Query code %s) is not in the table", shape, code)
			}
			continue
		}
		if got.shape != shape || got.status != status {
			t.Errorf("%s: table has shape %s, status %d; model has %s, %d", code, got.shape, got.status, shape, status)
		}
		if e := NewError(code, "x"); e.Shape != shape || e.Status != status || e.Server {
			t.Errorf("NewError(%s) = %+v", code, e)
		}
	}
	for code := range modelled {
		if !inModel[code] {
			t.Errorf("table has %s, which the model does not declare", code)
		}
	}
}

// TestCommonErrorStatuses pins the AWS common errors to the statuses in
// SQS's API reference, Common Errors
// (docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html),
// and the few SQS answers that the page does not list to what SQS sends.
func TestCommonErrorStatuses(t *testing.T) {
	want := map[string]int{
		// On the Common Errors page.
		"IncompleteSignature": 400, "InternalFailure": 500, "InvalidAction": 400,
		"InvalidClientTokenId": 403, "InvalidParameterCombination": 400, "InvalidParameterValue": 400,
		"InvalidQueryParameter": 400, "MalformedQueryString": 404, "MissingAction": 400,
		"MissingAuthenticationToken": 403, "MissingParameter": 400, "RequestExpired": 400,
		"ServiceUnavailable": 503, "ThrottlingException": 400,
		// Not on the page: AccessDenied and SignatureDoesNotMatch are SQS's
		// 403s, NoSuchVersion a Query-protocol 400, MissingClientTokenId
		// as InvalidClientTokenId; the JSON protocol's SerializationException
		// and UnknownOperationException are 400s; RequestEntityTooLarge is 413.
		"AccessDenied": 403, "SignatureDoesNotMatch": 403, "NoSuchVersion": 400, "MissingClientTokenId": 403,
		"SerializationException": 400, "UnknownOperationException": 400, "RequestEntityTooLarge": 413,
	}
	for code, status := range want {
		if got, ok := common[code]; !ok || got != status {
			t.Errorf("common[%s] = %d, %v; want %d", code, got, ok, status)
		}
	}
	for code := range common {
		if _, ok := want[code]; !ok {
			t.Errorf("common[%s] has no status pinned here", code)
		}
	}
}
