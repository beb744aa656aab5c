package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/sluice-mq/sluice/sdk/client"
	"github.com/sluice-mq/sluice/terraform/internal/sluicedev"
	"github.com/sluice-mq/sluice/terraform/internal/testenv"
)

// The acceptance tests (TestAcc*) drive the real terraform binary against
// one real `sluice dev` per test binary run, started by the first of them.
// They run with TF_ACC=1 (make test sets it); terraform comes from PATH
// (make test-deps installs it). Terraform talks to the provider in this
// process, so no provider binary, dev_overrides or network is involved.

var dev struct {
	once   sync.Once
	server *sluicedev.Server
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if dev.server != nil {
		dev.server.Stop()
	}
	os.Exit(code)
}

// accServer skips the test without TF_ACC, fails (or skips, under
// SLUICE_TEST_SKIP_MISSING) without terraform, and returns the shared
// `sluice dev`.
func accServer(t *testing.T) *sluicedev.Server {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 to run it (make test does)")
	}
	tf := testenv.LookPath(t, "terraform", "`go install github.com/hashicorp/terraform@v1.5.7` (or put any terraform >= 1.5 on PATH)")
	dev.once.Do(func() {
		// The environment here may name a CLI config that does not exist,
		// which makes terraform warn on every command; and the version
		// check would reach for the network.
		rc := filepath.Join(os.TempDir(), "sluice-tfacc.terraformrc")
		if dev.err = os.WriteFile(rc, []byte("disable_checkpoint = true\n"), 0o600); dev.err != nil {
			return
		}
		os.Setenv("TF_CLI_CONFIG_FILE", rc)
		os.Setenv("CHECKPOINT_DISABLE", "1")
		os.Setenv("TF_ACC_TERRAFORM_PATH", tf)
		dev.server, dev.err = sluicedev.Start(context.Background())
	})
	if dev.err != nil {
		t.Fatalf("start sluice dev: %v", dev.err)
	}
	return dev.server
}

// factories serves this package's provider to terraform in-process.
func factories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"sluice": providerserver.NewProtocol6WithError(New("acc")()),
	}
}

// providerConfig is a provider block for the dev server with token and
// (if not empty) account.
func providerConfig(s *sluicedev.Server, token, account string) string {
	cfg := fmt.Sprintf("provider \"sluice\" {\n  endpoint = %q\n  token    = %q\n", s.Endpoint, token)
	if account != "" {
		cfg += fmt.Sprintf("  account  = %q\n", account)
	}
	return cfg + "}\n"
}

// operatorClient is an SDK client with the dev server's operator token,
// for checks behind Terraform's back.
func operatorClient(s *sluicedev.Server) *client.Client {
	c, err := client.New(s.Endpoint, client.WithToken(s.OperatorToken))
	if err != nil {
		panic(err) // the endpoint came from sluice dev's banner
	}
	return c
}

// sqsClient calls the dev server's SQS API with the dev tenant's key.
func sqsClient(s *sluicedev.Server) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
}

// expectOnlyChanged checks that the plan updates the resource at addr and
// that the attributes it changes are exactly attrs.
func expectOnlyChanged(addr string, attrs ...string) plancheck.PlanCheck {
	return onlyChanged{addr: addr, attrs: attrs}
}

type onlyChanged struct {
	addr  string
	attrs []string
}

func (c onlyChanged) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != c.addr {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		after, _ := rc.Change.After.(map[string]any)
		var changed []string
		for k := range after {
			if !reflect.DeepEqual(before[k], after[k]) {
				changed = append(changed, k)
			}
		}
		sort.Strings(changed)
		want := append([]string(nil), c.attrs...)
		sort.Strings(want)
		if !reflect.DeepEqual(changed, want) {
			resp.Error = fmt.Errorf("%s: plan changes %v (actions %v), want exactly %v", c.addr, changed, rc.Change.Actions, want)
		}
		return
	}
	resp.Error = fmt.Errorf("%s: not in the plan", c.addr)
}
