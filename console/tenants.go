package console

import (
	"context"
	"net/http"
	"strings"

	"github.com/sluice-mq/sluice/sdk/api"
)

type tenantsView struct {
	Tenants []api.Tenant
	Next    string
	Plans   []api.Plan
}

// tenantsPage lists tenants: operators only (the control plane answers a
// tenant-admin 403).
func (c *Console) tenantsPage(w http.ResponseWriter, r *http.Request, s *session) error {
	page, err := s.cp.ListTenantsPage(r.Context(), 100, r.URL.Query().Get("after"))
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "tenants", view{S: s, Title: "Tenants",
		Data: tenantsView{Tenants: page.Tenants, Next: page.Next, Plans: []api.Plan{api.PlanFree, api.PlanStandard, api.PlanLarge}}})
	return nil
}

func (c *Console) createTenant(w http.ResponseWriter, r *http.Request, s *session) error {
	req := api.CreateTenantRequest{AccountID: strings.TrimSpace(r.PostForm.Get("account")), Name: strings.TrimSpace(r.PostForm.Get("name")),
		Plan: api.Plan(r.PostForm.Get("plan"))}
	t, err := s.cp.CreateTenant(r.Context(), req)
	c.audit.record(r, s, "create-tenant", t.AccountID, err)
	if err != nil {
		return err
	}
	redirect(w, r, Path+"/tenants", "tenant")
	return nil
}

func (c *Console) setTenantPlan(w http.ResponseWriter, r *http.Request, s *session) error {
	plan := api.Plan(r.PostForm.Get("plan"))
	_, err := s.cp.UpdateTenant(r.Context(), r.PathValue("account"), api.UpdateTenantRequest{Plan: &plan})
	c.audit.record(r, s, "set-tenant-plan", string(plan), err)
	if err != nil {
		return err
	}
	redirect(w, r, Path+"/tenants", "tenant")
	return nil
}

func (c *Console) suspendTenant(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.setTenantStatus(w, r, s, "suspend-tenant", s.cp.SuspendTenant)
}

func (c *Console) resumeTenant(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.setTenantStatus(w, r, s, "resume-tenant", s.cp.ResumeTenant)
}

func (c *Console) setTenantStatus(w http.ResponseWriter, r *http.Request, s *session, action string,
	call func(context.Context, string) (api.Tenant, error)) error {
	_, err := call(r.Context(), r.PathValue("account"))
	c.audit.record(r, s, action, "", err)
	if err != nil {
		return err
	}
	redirect(w, r, Path+"/tenants", "tenant")
	return nil
}

func (c *Console) deleteTenant(w http.ResponseWriter, r *http.Request, s *session) error {
	account := r.PathValue("account")
	if r.PostForm.Get("confirm") != account {
		return &pageError{Status: http.StatusBadRequest, Code: "ConfirmationMismatch", Message: "Type the account id to delete the tenant."}
	}
	_, err := s.cp.DeleteTenant(r.Context(), account)
	c.audit.record(r, s, "delete-tenant", "", err)
	if err != nil {
		return err
	}
	redirect(w, r, Path+"/tenants", "tenant-del")
	return nil
}
