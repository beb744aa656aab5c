package console

import (
	"net/http"

	"github.com/sluice-mq/sluice/sdk/api"
)

type keysView struct {
	Keys []api.AccessKey
	// New is the key just created: its secret is shown this once.
	New *api.AccessKey
}

func (c *Console) keysData(r *http.Request, s *session) (keysView, error) {
	keys, err := s.cp.ListAccessKeys(r.Context(), r.PathValue("account"))
	return keysView{Keys: keys}, err
}

func (c *Console) keysPage(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := c.keysData(r, s)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "keys", view{S: s, Account: r.PathValue("account"), Title: "Access keys", Data: v})
	return nil
}

// createKey shows the new key's secret in its reply, and nowhere else.
func (c *Console) createKey(w http.ResponseWriter, r *http.Request, s *session) error {
	k, err := s.cp.CreateAccessKey(r.Context(), r.PathValue("account"))
	c.audit.record(r, s, "create-access-key", k.AccessKeyID, err)
	if err != nil {
		return err
	}
	v, err := c.keysData(r, s)
	if err != nil {
		return err
	}
	v.New = &k
	c.render(w, r, http.StatusCreated, "keys", view{S: s, Account: r.PathValue("account"), Title: "Access keys", Data: v})
	return nil
}

func (c *Console) setKeyStatus(w http.ResponseWriter, r *http.Request, s *session) error {
	account, key := r.PathValue("account"), r.PathValue("key")
	status := api.KeyStatus(r.PostForm.Get("status"))
	_, err := s.cp.UpdateAccessKey(r.Context(), account, key, api.UpdateAccessKeyRequest{Status: status})
	c.audit.record(r, s, "set-access-key-"+string(status), key, err)
	if err != nil {
		return err
	}
	redirect(w, r, accountPath(account)+"/keys", "key")
	return nil
}

func (c *Console) deleteKey(w http.ResponseWriter, r *http.Request, s *session) error {
	account, key := r.PathValue("account"), r.PathValue("key")
	err := s.cp.DeleteAccessKey(r.Context(), account, key)
	c.audit.record(r, s, "delete-access-key", key, err)
	if err != nil {
		return err
	}
	redirect(w, r, accountPath(account)+"/keys", "key-del")
	return nil
}
