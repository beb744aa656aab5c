package topics

import "strings"

func topicKey(r Ref) []byte { return []byte("T/t/" + r.Account + "/" + r.Region + "/" + r.Name) }

func topicsPrefix(account, region string) []byte {
	return []byte("T/t/" + account + "/" + region + "/")
}

func subKey(s SubRef) []byte {
	return []byte("T/s/" + s.Topic.Account + "/" + s.Topic.Region + "/" + s.Topic.Name + "/" + s.ID)
}

// subsPrefix is the prefix of a topic's subscriptions. Topic names never
// hold "/", so one topic's prefix never covers another's.
func subsPrefix(r Ref) []byte {
	return []byte("T/s/" + r.Account + "/" + r.Region + "/" + r.Name + "/")
}

func regionSubsPrefix(account, region string) []byte {
	return []byte("T/s/" + account + "/" + region + "/")
}

func countKey(account string) []byte { return []byte("T/n/" + account) }

// parseSubKey reads T/s/{account}/{region}/{name}/{id}.
func parseSubKey(k []byte) (SubRef, bool) {
	rest, ok := strings.CutPrefix(string(k), "T/s/")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 4 {
		return SubRef{}, false
	}
	return SubRef{Topic: Ref{Account: parts[0], Region: parts[1], Name: parts[2]}, ID: parts[3]}, true
}

func parseTopicKey(k []byte) (Ref, bool) {
	rest, ok := strings.CutPrefix(string(k), "T/t/")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 3 {
		return Ref{}, false
	}
	return Ref{Account: parts[0], Region: parts[1], Name: parts[2]}, true
}
