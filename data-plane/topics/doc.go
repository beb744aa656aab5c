// Package topics is the topic catalog and the publish path of Sluice's
// SNS-compatible topics (issue 23): topics and their subscriptions per
// account and region, with attributes, tags and count quotas, stored in
// the same kv store as the queues; and Publish, which delivers a message
// to every matching sqs subscription in the one store transaction
// (engine.Fanout), as raw bodies or in SNS's JSON envelope. Filter
// policies are in the filter subpackage. The SNS wire protocol is
// data-plane/snsapi's.
//
// Keys:
//
//	T/t/{account}/{region}/{name}          topic record (JSON)
//	T/s/{account}/{region}/{name}/{id}     subscription record (JSON)
//	T/n/{account}                          the account's topic count, every region
//
// Errors are *sqserr.Error carrying SNS's codes (NotFound,
// InvalidParameter, AuthorizationError, TopicLimitExceeded,
// SubscriptionLimitExceeded, TagLimitExceeded, ResourceNotFound).
package topics
