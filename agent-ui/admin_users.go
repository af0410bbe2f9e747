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
		"Users": lines, "Error": msg, "Form": form, "Done": r.URL.Query().Get("done"), "Roles": []string{roleAgent, roleDirector, roleAdmin, roleServiceDesk},
		"Secret": secret})
}

// adminUsersSave is an admin's change to a user of their dealer: what=add (username,
// display_name, role, password; an agent gets a random SIP secret, shown once),
// what=update (username, display_name, role; not one's own role), what=passwd (username,
// password, and confirm = the user name, ticked by the admin), what=sip (username: a new SIP secret for an agent,
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
		h.adminUsersPage(w, r, status, adminRefusal(langFrom(r), username, err))
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
	case "update":
		role := r.PostForm.Get("role")
		if target.ID == u.ID && role != target.Role {
			refuse(fmt.Errorf("%w: you cannot change your own role", store.ErrInvalidUser))
			return
		}
		var ended []string
		ended, err = store.UpdateUser(ctx, h.deps.DB, u.DealerID, target.ID, strings.TrimSpace(r.PostForm.Get("display_name")), role, by)
		for _, s := range ended {
			h.closeSession(ctx, s)
		}
	case "passwd":
		if r.PostForm.Get("confirm") != target.Username {
			refuse(fmt.Errorf("%w: confirm the password reset of %q", store.ErrInvalidUser, target.Username))
			return
		}
		// The new password ends the user's sessions (a trigger, whatever changes it); their
		// live consoles close now.
		var live []string
		if live, err = h.q().ListUserConsoleSessionHashes(ctx, target.ID); err == nil {
			if err = store.SetUserPassword(ctx, h.deps.DB, u.DealerID, target.ID, r.PostForm.Get("password"), by); err == nil {
				for _, s := range live {
					h.closeSession(ctx, s)
				}
			}
		}
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
			h.closeSession(ctx, s)
		}
	default:
		h.adminUsersPage(w, r, http.StatusBadRequest, word(langFrom(r), fmt.Sprintf("无法识别的操作 %q，请刷新页面再试", what),
			fmt.Sprintf("unknown change %q (add, update, passwd, sip, disable or enable)", what)))
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

// adminRefusal says why a change to a user was refused, in lang, naming the field.
func adminRefusal(lang, username string, err error) string {
	msg := err.Error()
	switch {
	case lang == langEN:
		return msg
	case errors.Is(err, store.ErrUsernameTaken):
		return fmt.Sprintf("用户名“%s”已有人使用（本店或其他门店），请换一个。", username)
	case errors.Is(err, store.ErrNoUser):
		return fmt.Sprintf("本店没有用户“%s”。", username)
	case strings.Contains(msg, "user name"):
		return fmt.Sprintf("用户名“%s”不能用：用户名用于登录，只能用 1 到 32 位英文字母、数字和 . _ -，例如 zhao.min。中文姓名请填在“姓名”一栏。", username)
	case strings.Contains(msg, "role"):
		if strings.Contains(msg, "own role") {
			return "不能修改自己的角色；请让另一位管理员修改。"
		}
		return "角色只能是坐席、总监、管理员或服务前台。"
	case strings.Contains(msg, "display name"):
		return "姓名最多 64 个字。"
	case strings.Contains(msg, "confirm the password reset"):
		return fmt.Sprintf("没有重置“%s”的密码：请勾选确认框，确认要重置的是这位用户。", username)
	case strings.Contains(msg, "only agents have a SIP secret"):
		return "只有坐席有分机密码；总监和管理员不用软电话。"
	case strings.Contains(msg, "yourself"):
		return "不能停用自己的账号。"
	case strings.Contains(msg, "at least"):
		return fmt.Sprintf("密码至少要 %d 位。", store.MinPasswordLen)
	case strings.Contains(msg, "at most"):
		return "密码太长了，最多 72 个字节。"
	case strings.Contains(msg, "control characters"), strings.Contains(msg, "UTF-8"):
		return "密码里不能有换行或控制字符。"
	}
	return "这次修改没有保存：" + msg
}
