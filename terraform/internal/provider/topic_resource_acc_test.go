package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/sluice-mq/sluice/sdk/client"
	"github.com/sluice-mq/sluice/terraform/internal/sluicedev"
)

// topicConfig is a topic with a queue subscribed by name, filtering on
// a policy, tags and binding keys.
func topicConfig(s *sluicedev.Server, displayName, tag string, bindingKeys string) string {
	return providerConfig(s, s.OperatorToken, s.AccountID) + fmt.Sprintf(`
resource "sluice_queue" "q" {
  name = "acc-topic-q"
}

resource "sluice_topic" "t" {
  name         = "acc-topic"
  display_name = %q
  tags = {
    team = "a"
  }
}

resource "sluice_topic_subscription" "s" {
  topic                = sluice_topic.t.name
  protocol             = "sqs"
  endpoint             = sluice_queue.q.name
  raw_message_delivery = true
  filter_tags          = [%q]
  binding_keys         = %s
  filter_policy = jsonencode({
    total = [{ numeric = [">=", 100] }]
    kind  = ["order"]
  })
}
`, displayName, tag, bindingKeys)
}

func TestAccTopicAndSubscription(t *testing.T) {
	s := accServer(t)
	const topicAddr, subAddr = "sluice_topic.t", "sluice_topic_subscription.s"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(),
		CheckDestroy:             checkTopicsGone(s, "acc-topic"),
		Steps: []resource.TestStep{
			{ // create
				Config: topicConfig(s, "Orders", "red", `["order.*"]`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(topicAddr, tfjsonpath.New("arn"), knownvalue.StringExact("arn:aws:sns:"+s.Region+":"+s.AccountID+":acc-topic")),
					statecheck.ExpectKnownValue(topicAddr, tfjsonpath.New("fifo_topic"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(subAddr, tfjsonpath.New("arn"),
						knownvalue.StringRegexp(regexp.MustCompile(`^arn:aws:sns:[a-z0-9-]+:[0-9]{12}:acc-topic:[0-9a-f-]{36}$`))),
					statecheck.ExpectKnownValue(subAddr, tfjsonpath.New("endpoint"), knownvalue.StringExact("acc-topic-q")),
				},
				Check: resource.ComposeTestCheckFunc(
					checkTopicAttr(s, "acc-topic", "DisplayName", "Orders"),
					checkSubscriptionAttr(s, "acc-topic", "BindingKeys", `["order.*"]`),
					checkSubscriptionAttr(s, "acc-topic", "FilterTags", `["red"]`),
					checkSubscriptionAttr(s, "acc-topic", "Endpoint", "arn:aws:sqs:"+s.Region+":"+s.AccountID+":acc-topic-q"),
				),
			},
			{ // update in place
				Config: topicConfig(s, "Shop orders", "blue", `["order.#", "#.refund"]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(topicAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction(subAddr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(
					checkTopicAttr(s, "acc-topic", "DisplayName", "Shop orders"),
					checkSubscriptionAttr(s, "acc-topic", "BindingKeys", `["order.#","#.refund"]`),
					checkSubscriptionAttr(s, "acc-topic", "FilterTags", `["blue"]`),
				),
			},
			{ // the same configuration plans nothing (policy key order, queue name for ARN)
				Config: topicConfig(s, "Shop orders", "blue", `["order.#", "#.refund"]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			{ // import the topic by ARN
				ResourceName:      topicAddr,
				ImportState:       true,
				ImportStateVerify: true,
			},
			{ // and by account/name
				ResourceName:      topicAddr,
				ImportState:       true,
				ImportStateId:     s.AccountID + "/acc-topic",
				ImportStateVerify: true,
			},
			{ // import the subscription by ARN; the endpoint reads back as the queue's ARN
				ResourceName:            subAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"endpoint"},
			},
			{ // removing the CMQ filters removes them on the server
				Config: providerConfig(s, s.OperatorToken, s.AccountID) + `
resource "sluice_queue" "q" {
  name = "acc-topic-q"
}
resource "sluice_topic" "t" {
  name = "acc-topic"
}
resource "sluice_topic_subscription" "s" {
  topic    = sluice_topic.t.name
  protocol = "sqs"
  endpoint = sluice_queue.q.arn
}
`,
				Check: resource.ComposeTestCheckFunc(
					checkTopicAttr(s, "acc-topic", "DisplayName", ""),
					checkSubscriptionAttr(s, "acc-topic", "BindingKeys", ""),
					checkSubscriptionAttr(s, "acc-topic", "FilterTags", ""),
					checkSubscriptionAttr(s, "acc-topic", "FilterPolicy", ""),
					checkSubscriptionAttr(s, "acc-topic", "RawMessageDelivery", "false"),
				),
			},
		},
	})
}

func TestAccTopicRefusals(t *testing.T) {
	s := accServer(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(),
		Steps: []resource.TestStep{
			{ // six filter tags are refused at plan time
				Config: providerConfig(s, s.OperatorToken, s.AccountID) + `
resource "sluice_topic_subscription" "s" {
  topic       = "nowhere"
  protocol    = "sqs"
  endpoint    = "q"
  filter_tags = ["1", "2", "3", "4", "5", "6"]
}
`,
				ExpectError: regexp.MustCompile(`filter_tags`),
			},
			{ // a bad binding key is refused by the server with SNS's code
				Config: providerConfig(s, s.OperatorToken, s.AccountID) + `
resource "sluice_topic" "t" {
  name = "acc-refusals"
}
resource "sluice_queue" "q" {
  name = "acc-refusals-q"
}
resource "sluice_topic_subscription" "s" {
  topic        = sluice_topic.t.name
  protocol     = "sqs"
  endpoint     = sluice_queue.q.arn
  binding_keys = ["a..b"]
}
`,
				ExpectError: regexp.MustCompile(`InvalidParameter`),
			},
		},
	})
}

func checkTopicAttr(s *sluicedev.Server, name, attr, want string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		tp, err := operatorClient(s).GetTopic(context.Background(), s.AccountID, name)
		if err != nil {
			return fmt.Errorf("topic %s: %w", name, err)
		}
		if got := tp.Attributes[attr]; got != want {
			return fmt.Errorf("topic %s: %s = %q, want %q", name, attr, got, want)
		}
		return nil
	}
}

// checkSubscriptionAttr checks the topic's only subscription.
func checkSubscriptionAttr(s *sluicedev.Server, topic, attr, want string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		var subs []string
		for sub, err := range operatorClient(s).ListSubscriptions(context.Background(), s.AccountID, topic) {
			if err != nil {
				return err
			}
			subs = append(subs, sub.ID)
			if got := sub.Attributes[attr]; got != want {
				return fmt.Errorf("subscription %s: %s = %q, want %q", sub.ID, attr, got, want)
			}
		}
		if len(subs) != 1 {
			return fmt.Errorf("topic %s has subscriptions %v, want one", topic, subs)
		}
		return nil
	}
}

func checkTopicsGone(s *sluicedev.Server, names ...string) func(*terraform.State) error {
	return func(*terraform.State) error {
		for _, name := range names {
			if _, err := operatorClient(s).GetTopic(context.Background(), s.AccountID, name); !client.IsNotFound(err) {
				return fmt.Errorf("topic %s still there (err %v)", name, err)
			}
		}
		return nil
	}
}
