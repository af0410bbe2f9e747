package agentui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
)

// IsAdmin reports whether the user may manage the dealer's users.
func (u *user) IsAdmin() bool { return u.Role == roleAdmin }

// adminUserLine is one user on the users page: never a hash or a password.
type adminUserLine struct {
	ID          int64
	Username    string
	DisplayName string
	Role        string
	Active      bool
	SIPSet      bool
	Created     string
	// Self marks the logged-in user (who may not disable themselves).
	Self bool
}

// adminUsers lists the dealer's users; admins get the forms to add a user, reset a
// password, disable and enable (directors only look).
func (h *handler) adminUsers(w http.ResponseWriter, r *http.Request) {
	h.adminUsersPage(w, r, http.StatusOK, "")
}

// shownSecret is an agent's new SIP secret, shown once on the page that issued it.
type shownSecret struct {
	Username, Secret, Realm string
}

// adminUsersPage renders the users page with status; msg, when set, is the refusal shown
// (the add form keeps what was typed, except the password).
func (h *handler) adminUsersPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.adminUsersRender(w, r, status, msg, nil)
}

// adminUsersRender renders the users page; secret, when set, is an agent's new SIP secret
// to show once (the page is then never cached).
func (h *handler) adminUsersRender(w http.ResponseWriter, r *http.Request, status int, msg string, secret *shownSecret) {
	u := userFrom(r)
	rows, err := h.q().ListUsers(r.Context(), u.DealerID)
	if err != nil {
		h.fail(w, r, fmt.Errorf("admin users: %w", err))
		return
	}
	loc := u.location()
	lines := make([]adminUserLine, 0, len(rows))
	for _, row := range rows {
		lines = append(lines, adminUserLine{ID: row.ID, Username: row.Username, DisplayName: row.DisplayName, Role: row.Role,
			Active: row.Active, SIPSet: row.SipHa1 != "", Created: row.CreatedAt.In(loc).Format(dayLayout), Self: row.ID == u.ID})
	}
	form := map[string]string{"role": roleAgent}
	if status != http.StatusOK && r.PostForm.Get("what") == "add" {
		form = map[string]string{"username": r.PostForm.Get("username"), "display_name": r.PostForm.Get("display_name"),
			"role": r.PostForm.Get("role")}
	}
	if status != http.StatusOK || secret != nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
	}
	h.render(w, r, "admin_users.html", map[string]any{"Page": "admin/users", "A": adminWords(langFrom(r)),
		"Users": lines, "Error": msg, "Form": form, "Done": r.URL.Query().Get("done"), "Roles": []string{roleAgent, roleDirector, roleAdmin},
		"Secret": secret})
}

// adminUsersSave is an admin's change to a user of their dealer: what=add (username,
// display_name, role, password; an agent gets a random SIP secret, shown once),
// what=passwd (username, password), what=sip (username: a new SIP secret for an agent,
// shown once), what=disable or what=enable (username). Each change is audited; bad input
// shows the page again with the problem (400), a user the dealer does not have is 404,
// and nothing is stored.
func (h *handler) adminUsersSave(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	ctx := r.Context()
	by := store.Actor{UserID: &u.ID, Source: "console"}
	what := r.PostForm.Get("what")
	username := strings.TrimSpace(r.PostForm.Get("username"))
	refuse := func(err error) {
		status := http.StatusInternalServerError
		switch {
		case errors.Is(err, store.ErrInvalidUser), errors.Is(err, store.ErrUsernameTaken):
			status = http.StatusBadRequest
		case errors.Is(err, store.ErrNoUser):
			status = http.StatusNotFound
		default:
			h.fail(w, r, fmt.Errorf("admin users %s: %w", what, err))
			return
		}
		h.log.InfoContext(r.Context(), "admin users: refused", "what", what, "username", username, "err", err)
		h.adminUsersPage(w, r, status, err.Error())
	}
	if what == "add" {
		_, secret, err := store.AddUser(ctx, h.deps.DB, store.NewUser{DealerID: u.DealerID, Username: username,
			DisplayName: strings.TrimSpace(r.PostForm.Get("display_name")), Role: r.PostForm.Get("role"),
			Password: r.PostForm.Get("password")}, by)
		if err != nil {
			refuse(err)
			return
		}
		if secret != "" {
			h.adminUsersRender(w, r, http.StatusOK, "", &shownSecret{Username: username, Secret: secret, Realm: store.SIPRealm})
			return
		}
		h.adminDone(w, r, what, username)
		return
	}
	target, err := h.q().GetUserByUsername(ctx, store.GetUserByUsernameParams{DealerID: u.DealerID, Username: username})
	if errors.Is(err, pgx.ErrNoRows) {
		refuse(fmt.Errorf("%w: %q at this dealer", store.ErrNoUser, username))
		return
	}
	if err != nil {
		refuse(err)
		return
	}
	switch what {
	case "passwd":
		err = store.SetUserPassword(ctx, h.deps.DB, u.DealerID, target.ID, r.PostForm.Get("password"), by)
	case "sip":
		var secret string
		if secret, err = store.IssueSIPSecret(ctx, h.deps.DB, u.DealerID, target.ID, by); err == nil {
			h.adminUsersRender(w, r, http.StatusOK, "", &shownSecret{Username: target.Username, Secret: secret, Realm: store.SIPRealm})
			return
		}
	case "disable", "enable":
		if what == "disable" && target.ID == u.ID {
			refuse(fmt.Errorf("%w: you cannot disable yourself", store.ErrInvalidUser))
			return
		}
		var ended []string
		ended, err = store.SetUserActive(ctx, h.deps.DB, u.DealerID, target.ID, what == "enable", by)
		for _, s := range ended {
			// The disabled user's live consoles close now.
			h.hub.closeSession(ctx, s)
		}
	default:
		h.adminUsersPage(w, r, http.StatusBadRequest, fmt.Sprintf("unknown change %q (add, passwd, sip, disable or enable)", what))
		return
	}
	if err != nil {
		refuse(err)
		return
	}
	h.adminDone(w, r, what, username)
}

// adminDone sends the admin back to the users page after a change.
func (h *handler) adminDone(w http.ResponseWriter, r *http.Request, what, username string) {
	http.Redirect(w, r, "/admin/users?"+url.Values{"done": {what + " " + username}}.Encode(), http.StatusSeeOther)
}
