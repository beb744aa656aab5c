package provider

import (
	"context"
	"fmt"
	"iter"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/sluice-mq/sluice/sdk/api"
	"github.com/sluice-mq/sluice/sdk/client"
)

// controlPlane is the part of the SDK client the resources use; an
// interface so unit tests can stand in a fake for the server.
type controlPlane interface {
	Health(ctx context.Context) (client.Health, error)

	CreateTenant(ctx context.Context, req api.CreateTenantRequest) (api.Tenant, error)
	ListTenantsPage(ctx context.Context, limit int, after string) (api.TenantList, error)
	GetTenant(ctx context.Context, account string) (api.Tenant, error)
	UpdateTenant(ctx context.Context, account string, req api.UpdateTenantRequest) (api.Tenant, error)
	DeleteTenant(ctx context.Context, account string) (api.TenantDeletion, error)
	SuspendTenant(ctx context.Context, account string) (api.Tenant, error)
	ResumeTenant(ctx context.Context, account string) (api.Tenant, error)

	CreateAccessKey(ctx context.Context, account string) (api.AccessKey, error)
	ListAccessKeys(ctx context.Context, account string) ([]api.AccessKey, error)
	UpdateAccessKey(ctx context.Context, account, keyID string, req api.UpdateAccessKeyRequest) (api.AccessKey, error)
	DeleteAccessKey(ctx context.Context, account, keyID string) error

	CreateQueue(ctx context.Context, account string, req api.CreateQueueRequest) (api.Queue, error)
	ListQueues(ctx context.Context, account, prefix string, pageSize int) iter.Seq2[string, error]
	GetQueue(ctx context.Context, account, name string) (api.Queue, error)
	UpdateQueue(ctx context.Context, account, name string, req api.UpdateQueueRequest) (api.Queue, error)
	DeleteQueue(ctx context.Context, account, name string) error

	CreateTopic(ctx context.Context, account string, req api.CreateTopicRequest) (api.Topic, error)
	GetTopic(ctx context.Context, account, name string) (api.Topic, error)
	UpdateTopic(ctx context.Context, account, name string, req api.UpdateTopicRequest) (api.Topic, error)
	DeleteTopic(ctx context.Context, account, name string) error
	Subscribe(ctx context.Context, account, topic string, req api.CreateSubscriptionRequest) (api.Subscription, error)
	GetSubscription(ctx context.Context, account, topic, id string) (api.Subscription, error)
	UpdateSubscription(ctx context.Context, account, topic, id string, req api.UpdateSubscriptionRequest) (api.Subscription, error)
	Unsubscribe(ctx context.Context, account, topic, id string) error
}

var _ controlPlane = (*client.Client)(nil)

// providerData is what Configure hands every resource and data source.
type providerData struct {
	api controlPlane
	// endpoint is the server's base URL; queue URLs are built on it, as
	// the SQS API answers them to a client calling that endpoint.
	endpoint string
	// account is the tenant that resources without an account argument
	// belong to: the provider's account setting, or the account of a
	// tenant-admin token. Empty for an operator token without account.
	account string
}

// configureFrom unpacks the provider data Terraform passes to a
// resource's or data source's Configure. It is nil when Terraform
// validates a configuration before configuring the provider.
func configureFrom(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider.", data))
		return nil
	}
	return pd
}

// accountFor picks the account a resource acts on: its own account
// argument when set, else the provider's.
func (pd *providerData) accountFor(configured types.String, diags *diag.Diagnostics) string {
	if !configured.IsNull() && !configured.IsUnknown() && configured.ValueString() != "" {
		return configured.ValueString()
	}
	if pd.account == "" {
		diags.AddError("No account to act on",
			"Set the account argument of this resource, or account in the provider \"sluice\" block. "+
				"An operator token manages every tenant, so the provider cannot guess which one is meant.")
	}
	return pd.account
}

// queueURL is the URL the SQS API answers for a queue reached through the
// provider's endpoint: {endpoint}/{account}/{name}.
func (pd *providerData) queueURL(account, name string) string {
	return strings.TrimRight(pd.endpoint, "/") + "/" + account + "/" + name
}
