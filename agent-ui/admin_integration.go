package agentui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/agent-ui/api"
	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
)

// adminIntegration shows the dealer's JSON API keys (never the keys), webhooks (never
// their secrets) and the latest webhook deliveries with status, tries and last error.
// Admins get the forms to make and revoke keys, add and remove webhooks and redeliver;
// directors only look.
func (h *handler) adminIntegration(w http.ResponseWriter, r *http.Request) {
	h.adminIntegrationPage(w, r, http.StatusOK, "", nil)
}

// adminIntegrationPage renders the page; msg is a refusal, shown a secret shown once.
func (h *handler) adminIntegrationPage(w http.ResponseWriter, r *http.Request, status int, msg string, shown map[string]string) {
	u := userFrom(r)
	ctx := r.Context()
	q := h.q()
	keys, err := q.ListAPIKeys(ctx, u.DealerID)
	if err != nil {
		h.fail(w, r, fmt.Errorf("admin integration: %w", err))
		return
	}
	hooks, err := q.ListWebhookEndpoints(ctx, u.DealerID)
	if err != nil {
		h.fail(w, r, fmt.Errorf("admin integration: %w", err))
		return
	}
	deliveries, err := q.ListWebhookDeliveries(ctx, store.ListWebhookDeliveriesParams{DealerID: u.DealerID, MaxRows: 200})
	if err != nil {
		h.fail(w, r, fmt.Errorf("admin integration: %w", err))
		return
	}
	loc := u.location()
	when := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04:05")
	}
	type keyLine struct {
		ID                             int64
		Name, Prefix, Created, Revoked string
	}
	type hookLine struct {
		ID          int64
		URL, Events string
		Active      bool
		Created     string
	}
	type deliveryLine struct {
		ID, EventID                   int64
		Event, URL, Status, LastError string
		Tries, LastStatus             int32
		Created, LastTry, Delivered   string
	}
	var kl []keyLine
	for _, k := range keys {
		kl = append(kl, keyLine{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Created: when(&k.CreatedAt), Revoked: when(k.RevokedAt)})
	}
	var hl []hookLine
	for _, hk := range hooks {
		hl = append(hl, hookLine{ID: hk.ID, URL: hk.Url, Events: strings.Join(hk.Events, ", "), Active: hk.Active, Created: when(&hk.CreatedAt)})
	}
	var dl []deliveryLine
	for _, d := range deliveries {
		dl = append(dl, deliveryLine{ID: d.ID, EventID: d.EventID, Event: d.Event, URL: d.Url, Status: d.Status, LastError: d.LastError,
			Tries: d.Tries, LastStatus: d.LastStatus, Created: when(&d.CreatedAt), LastTry: when(d.LastTryAt), Delivered: when(d.DeliveredAt)})
	}
	if status != http.StatusOK {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
	}
	if shown != nil {
		w.Header().Set("Cache-Control", "no-store")
	}
	h.render(w, r, "admin_integration.html", map[string]any{"Page": "admin/integration", "A": integrationWords(langFrom(r)),
		"Keys": kl, "Hooks": hl, "Deliveries": dl, "Error": msg, "Shown": shown, "Done": r.URL.Query().Get("done"),
		"Events": queue.WebhookEvents()})
}

// adminIntegrationSave is an admin's change: what=key_create (name), key_revoke (id),
// hook_add (url, events), hook_remove (id), redeliver (id). Each is audited; bad input
// shows the page again with the problem (400), another dealer's record is 404.
func (h *handler) adminIntegrationSave(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	ctx := r.Context()
	f := r.PostForm
	id, _ := strconv.ParseInt(f.Get("id"), 10, 64)
	var shown map[string]string
	var done string
	err := store.WithTx(ctx, h.deps.DB, func(tx pgx.Tx) error {
		var subject int64
		switch f.Get("what") {
		case "key_create":
			name := strings.TrimSpace(f.Get("name"))
			if name == "" {
				return errStatus(http.StatusBadRequest, integrationWords(langFrom(r))["key_name_required"])
			}
			kid, key, err := api.CreateKey(ctx, tx, u.DealerID, name)
			if err != nil {
				return err
			}
			subject, shown, done = kid, map[string]string{"what": "key", "value": key}, name
		case "key_revoke":
			if err := api.RevokeKey(ctx, tx, u.DealerID, id, time.Now()); errors.Is(err, api.ErrNoKey) {
				return errNotFound
			} else if err != nil {
				return err
			}
			subject, done = id, strconv.FormatInt(id, 10)
		case "hook_add":
			hid, secret, err := queue.AddWebhook(ctx, tx, u.DealerID, f.Get("url"), f["events"])
			var fe *queue.FieldError
			if errors.As(err, &fe) {
				return errStatus(http.StatusBadRequest, fe.Msg)
			}
			if err != nil {
				return err
			}
			subject, shown, done = hid, map[string]string{"what": "secret", "value": secret}, f.Get("url")
		case "hook_remove":
			if err := queue.RemoveWebhook(ctx, tx, u.DealerID, id); errors.Is(err, queue.ErrNoWebhook) {
				return errNotFound
			} else if err != nil {
				return err
			}
			subject, done = id, strconv.FormatInt(id, 10)
		case "redeliver":
			if err := queue.Redeliver(ctx, tx, u.DealerID, id, time.Now()); errors.Is(err, queue.ErrNoWebhook) {
				return errNotFound
			} else if err != nil {
				return err
			}
			subject, done = id, strconv.FormatInt(id, 10)
		default:
			return errStatus(http.StatusBadRequest, "unknown change")
		}
		return store.New(tx).InsertAudit(ctx, store.InsertAuditParams{DealerID: &u.DealerID, UserID: &u.ID,
			Action: "integration." + f.Get("what"), SubjectType: "integration", SubjectID: &subject, Detail: []byte(`{}`)})
	})
	var he *httpError
	if errors.As(err, &he) && he.status == http.StatusBadRequest {
		h.adminIntegrationPage(w, r, http.StatusBadRequest, he.msg, nil)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if shown != nil {
		h.adminIntegrationPage(w, r, http.StatusOK, "", shown)
		return
	}
	http.Redirect(w, r, "/admin/integration?done="+url.QueryEscape(done), http.StatusSeeOther)
}
