package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/sluice-mq/sluice/terraform/internal/sluicedev"
)

// The DLQ pair refers both ways: the source's redrive policy names the
// dead-letter queue, whose allow policy names the source. With the
// policies as separate resources there is no cycle.
// redrive spells the redrive policy: with jsonencode, or by hand with
// keys out of order and extra whitespace, which must make no diff.
func dlqPairConfig(s *sluicedev.Server, maxReceives int, byHand bool) string {
	redrive := fmt.Sprintf(`jsonencode({
    maxReceiveCount     = %d
    deadLetterTargetArn = sluice_queue.dlq.arn
  })`, maxReceives)
	if byHand {
		redrive = fmt.Sprintf(`<<-EOT
    {  "maxReceiveCount" : %d,
       "deadLetterTargetArn": "${sluice_queue.dlq.arn}"  }
  EOT`, maxReceives)
	}
	return providerConfig(s, s.OperatorToken, s.AccountID) + fmt.Sprintf(`
resource "sluice_queue" "source" {
  name = "acc-pair-source"
}

resource "sluice_queue" "dlq" {
  name = "acc-pair-dlq"
}

resource "sluice_queue_redrive_policy" "source" {
  queue_url = sluice_queue.source.url
  redrive_policy = %s
}

resource "sluice_queue_redrive_allow_policy" "dlq" {
  queue_url = sluice_queue.dlq.url
  redrive_allow_policy = jsonencode({
    sourceQueueArns   = [sluice_queue.source.arn]
    redrivePermission = "byQueue"
  })
}
`, redrive)
}

func TestAccQueueDLQPairWithSeparatePolicies(t *testing.T) {
	s := accServer(t)
	arn := func(name string) string { return "arn:aws:sqs:" + s.Region + ":" + s.AccountID + ":" + name }
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(),
		CheckDestroy:             checkQueuesGone(s, "acc-pair-source", "acc-pair-dlq"),
		Steps: []resource.TestStep{
			{ // the server answers its own spelling; the plan after apply is still empty
				Config: dlqPairConfig(s, 3, true),
				Check: resource.ComposeTestCheckFunc(
					checkQueueJSON(s, "acc-pair-source", "RedrivePolicy",
						fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":3}`, arn("acc-pair-dlq"))),
					checkQueueJSON(s, "acc-pair-dlq", "RedriveAllowPolicy",
						fmt.Sprintf(`{"redrivePermission":"byQueue","sourceQueueArns":[%q]}`, arn("acc-pair-source"))),
				),
			},
			{ // the same document spelled by jsonencode plans nothing
				Config:           dlqPairConfig(s, 3, false),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				Config: dlqPairConfig(s, 7, false),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectOnlyChanged("sluice_queue_redrive_policy.source", "redrive_policy"),
					plancheck.ExpectResourceAction("sluice_queue.source", plancheck.ResourceActionNoop),
				}},
				Check: checkQueueJSON(s, "acc-pair-source", "RedrivePolicy",
					fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":7}`, arn("acc-pair-dlq"))),
			},
			{
				ResourceName:      "sluice_queue_redrive_policy.source",
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				ResourceName:      "sluice_queue_redrive_allow_policy.dlq",
				ImportState:       true,
				ImportStateVerify: true,
			},
			{ // the policy resources gone, the queues stay without the policies
				Config: providerConfig(s, s.OperatorToken, s.AccountID) + `
resource "sluice_queue" "source" {
  name = "acc-pair-source"
}

resource "sluice_queue" "dlq" {
  name = "acc-pair-dlq"
}
`,
				Check: resource.ComposeTestCheckFunc(
					checkQueueJSON(s, "acc-pair-source", "RedrivePolicy", ""),
					checkQueueJSON(s, "acc-pair-dlq", "RedriveAllowPolicy", ""),
				),
			},
		},
	})
}

// checkQueueJSON checks a JSON attribute on the server ("" for none).
func checkQueueJSON(s *sluicedev.Server, name, attr, want string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		q, err := operatorClient(s).GetQueue(context.Background(), s.AccountID, name)
		if err != nil {
			return fmt.Errorf("queue %s: %w", name, err)
		}
		if got := q.Attributes[attr]; !sameJSON(got, want) {
			return fmt.Errorf("queue %s: %s = %s, want %s", name, attr, got, want)
		}
		return nil
	}
}
