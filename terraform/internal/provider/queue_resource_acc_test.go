package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/sluice-mq/sluice/sdk/client"
	"github.com/sluice-mq/sluice/terraform/internal/sluicedev"
)

// queueConfig is a standard queue with a policy written with one key
// order; the server stores its own spelling.
func queueConfig(s *sluicedev.Server, name string, visibility int, tagValue string) string {
	return providerConfig(s, s.OperatorToken, s.AccountID) + fmt.Sprintf(`
resource "sluice_queue" "q" {
  name                       = %q
  visibility_timeout_seconds = %d
  delay_seconds              = 5
  tags = {
    team = %q
  }
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "all", Effect = "Allow", Principal = "*", Action = "sqs:SendMessage" }]
  })
  tiering {
    hot_window_seconds = 600
  }
}
`, name, visibility, tagValue)
}

func TestAccQueueLifecycle(t *testing.T) {
	s := accServer(t)
	const addr = "sluice_queue.q"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(),
		CheckDestroy:             checkQueuesGone(s, "acc-life", "acc-life-renamed"),
		Steps: []resource.TestStep{
			{ // create
				Config: queueConfig(s, "acc-life", 60, "a"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("url"), knownvalue.StringExact(s.Endpoint+"/"+s.AccountID+"/acc-life")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("arn"), knownvalue.StringExact("arn:aws:sqs:"+s.Region+":"+s.AccountID+":acc-life")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("message_retention_seconds"), knownvalue.Int64Exact(345600)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("max_message_size"), knownvalue.Int64Exact(1048576)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("deduplication_scope"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("tiering").AtMapKey("hot_bytes_budget"), knownvalue.Int64Exact(64<<20)),
				},
				Check: checkQueueAttr(s, "acc-life", "VisibilityTimeout", "60"),
			},
			{ // update in place
				Config: queueConfig(s, "acc-life", 90, "b"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					expectOnlyChanged(addr, "visibility_timeout_seconds", "tags"),
				}},
				Check: checkQueueAttr(s, "acc-life", "VisibilityTimeout", "90"),
			},
			{ // drift: a change through the SQS API is exactly what the next plan undoes
				PreConfig: func() { setVisibility(t, s, "acc-life", "45") },
				Config:    queueConfig(s, "acc-life", 90, "b"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					expectOnlyChanged(addr, "visibility_timeout_seconds"),
				}},
				Check: checkQueueAttr(s, "acc-life", "VisibilityTimeout", "90"),
			},
			{ // import by URL
				ResourceName:      addr,
				ImportState:       true,
				ImportStateVerify: true,
			},
			{ // import by account/name
				ResourceName:      addr,
				ImportState:       true,
				ImportStateId:     s.AccountID + "/acc-life",
				ImportStateVerify: true,
			},
			{ // replace
				Config: queueConfig(s, "acc-life-renamed", 90, "b"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: resource.ComposeTestCheckFunc(
					checkQueueAttr(s, "acc-life-renamed", "VisibilityTimeout", "90"),
					checkQueuesGone(s, "acc-life"),
				),
			},
		},
	})
}

func TestAccQueueFIFOAndGeneratedName(t *testing.T) {
	s := accServer(t)
	config := func(cbd bool) string {
		return providerConfig(s, s.OperatorToken, s.AccountID) + fmt.Sprintf(`
resource "sluice_queue" "fifo" {
  name_prefix                 = "acc-fifo-"
  fifo_queue                  = true
  content_based_deduplication = %t
}
`, cbd)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(),
		Steps: []resource.TestStep{
			{
				Config: config(false),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("sluice_queue.fifo", tfjsonpath.New("deduplication_scope"), knownvalue.StringExact("queue")),
					plancheck.ExpectKnownValue("sluice_queue.fifo", tfjsonpath.New("fifo_throughput_limit"), knownvalue.StringExact("perQueue")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("sluice_queue.fifo", tfjsonpath.New("name"),
						knownvalue.StringRegexp(regexp.MustCompile(`^acc-fifo-[a-z0-9]{20}\.fifo$`))),
				},
			},
			{
				Config: config(true),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectOnlyChanged("sluice_queue.fifo", "content_based_deduplication"),
				}},
			},
			{
				ResourceName:            "sluice_queue.fifo",
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"name_prefix"}, // not stored on the server, as in the AWS provider
			},
		},
	})
}

func TestAccQueueValidation(t *testing.T) {
	s := accServer(t)
	for _, tc := range []struct{ body, want string }{
		{`name = "bad.name"`, `1 to 80 letters`},
		{"name = \"x.fifo\"\n  fifo_queue = false", `set fifo_queue = true`},
		{"name = \"plain\"\n  fifo_queue = true", `followed by \.fifo`},
		{"name = \"plain\"\n  content_based_deduplication = true", `only be set for FIFO`},
		{"name = \"plain\"\n  visibility_timeout_seconds = 43201", `between 0 and 43200`},
		{"name = \"a\"\n  name_prefix = \"b\"", `cannot be configured together|Invalid Attribute Combination`},
		{"name = \"plain\"\n  redrive_policy = \"{not json\"", `Invalid JSON`},
	} {
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: factories(),
			Steps: []resource.TestStep{{
				Config:      providerConfig(s, s.OperatorToken, s.AccountID) + "resource \"sluice_queue\" \"q\" {\n  " + tc.body + "\n}\n",
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(tc.want),
			}},
		})
	}
}

// An operator token manages every tenant: without an account anywhere,
// the plan says so instead of guessing.
func TestAccQueueNeedsAnAccount(t *testing.T) {
	s := accServer(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(),
		Steps: []resource.TestStep{{
			Config:      providerConfig(s, s.OperatorToken, "") + "resource \"sluice_queue\" \"q\" {\n  name = \"acc-no-account\"\n}\n",
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`No account to act on`),
		}},
	})
}

func setVisibility(t *testing.T, s *sluicedev.Server, name, value string) {
	t.Helper()
	ctx := context.Background()
	q := sqsClient(s)
	url, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatalf("GetQueueUrl %s: %v", name, err)
	}
	_, err = q.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{
		QueueUrl: url.QueueUrl, Attributes: map[string]string{"VisibilityTimeout": value},
	})
	if err != nil {
		t.Fatalf("SetQueueAttributes %s: %v", name, err)
	}
}

// checkQueueAttr checks an attribute on the server, behind Terraform's back.
func checkQueueAttr(s *sluicedev.Server, name, attr, want string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		q, err := operatorClient(s).GetQueue(context.Background(), s.AccountID, name)
		if err != nil {
			return fmt.Errorf("queue %s: %w", name, err)
		}
		if got := q.Attributes[attr]; got != want {
			return fmt.Errorf("queue %s: %s = %q, want %q", name, attr, got, want)
		}
		return nil
	}
}

// checkQueuesGone checks that the server has none of the queues.
func checkQueuesGone(s *sluicedev.Server, names ...string) func(*terraform.State) error {
	return func(*terraform.State) error {
		c := operatorClient(s)
		for _, name := range names {
			_, err := c.GetQueue(context.Background(), s.AccountID, name)
			if !client.IsNotFound(err) {
				return fmt.Errorf("queue %s still there (err %v)", name, err)
			}
		}
		return nil
	}
}
