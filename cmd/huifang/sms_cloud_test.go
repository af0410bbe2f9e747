package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

func envGetter(env map[string]string) func(name, def string) string {
	return func(name, def string) string {
		if v, ok := env[name]; ok {
			return v
		}
		return def
	}
}

func TestLoadSMSConfigProviders(t *testing.T) {
	for _, c := range []struct {
		name     string
		env      map[string]string
		provider string
		err      string
	}{
		{"nothing is the development sender", map[string]string{}, "log", ""},
		{"kannel by its URL", map[string]string{"HUIFANG_KANNEL_SENDSMS_URL": "http://127.0.0.1:13013/cgi-bin/sendsms", "HUIFANG_KANNEL_USER": "u"}, "kannel", ""},
		{"kannel without URL", map[string]string{"HUIFANG_SMS_PROVIDER": "kannel"}, "", "needs HUIFANG_KANNEL_SENDSMS_URL"},
		{"aliyun", map[string]string{"HUIFANG_SMS_PROVIDER": "aliyun", "HUIFANG_ALIYUN_ACCESS_KEY_ID": "id", "HUIFANG_ALIYUN_ACCESS_KEY_SECRET": "s"}, "aliyun", ""},
		{"aliyun without secret", map[string]string{"HUIFANG_SMS_PROVIDER": "aliyun", "HUIFANG_ALIYUN_ACCESS_KEY_ID": "id"}, "", "needs HUIFANG_ALIYUN_ACCESS_KEY_SECRET"},
		{"aliyun bad endpoint", map[string]string{"HUIFANG_SMS_PROVIDER": "aliyun", "HUIFANG_ALIYUN_ACCESS_KEY_ID": "id", "HUIFANG_ALIYUN_ACCESS_KEY_SECRET": "s",
			"HUIFANG_ALIYUN_ENDPOINT": "ftp://x/y"}, "", "HUIFANG_ALIYUN_ENDPOINT must be"},
		{"tencent", map[string]string{"HUIFANG_SMS_PROVIDER": "Tencent", "HUIFANG_TENCENT_SECRET_ID": "id", "HUIFANG_TENCENT_SECRET_KEY": "k", "HUIFANG_TENCENT_SDK_APP_ID": "1400000000"}, "tencent", ""},
		{"tencent without app", map[string]string{"HUIFANG_SMS_PROVIDER": "tencent", "HUIFANG_TENCENT_SECRET_ID": "id"}, "", "needs HUIFANG_TENCENT_SDK_APP_ID, HUIFANG_TENCENT_SECRET_KEY"},
		{"unknown", map[string]string{"HUIFANG_SMS_PROVIDER": "twilio"}, "", "must be kannel, aliyun, tencent or log"},
	} {
		c.env["HUIFANG_SMS_TOKEN"] = "provider-token-0123456789"
		cfg, err := loadSMSConfig(envGetter(c.env), "127.0.0.1:8080")
		if c.err != "" {
			require.ErrorContains(t, err, c.err, c.name)
			continue
		}
		require.NoError(t, err, c.name)
		require.Equal(t, c.provider, cfg.Provider, c.name)
	}

	// Secrets may come from files, and the regions have defaults.
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(secret, []byte("from-file\n"), 0o600))
	require.NoError(t, os.WriteFile(secret+"-token", []byte("token-from-a-file-0123\n"), 0o600))
	cfg, err := loadConfig(func(name string) string {
		return map[string]string{"HUIFANG_SMS_PROVIDER": "aliyun", "HUIFANG_ALIYUN_ACCESS_KEY_ID": "id",
			"HUIFANG_ALIYUN_ACCESS_KEY_SECRET_FILE": secret, "HUIFANG_ALIYUN_ENDPOINT": "http://127.0.0.1:9",
			"HUIFANG_SMS_TOKEN_FILE": secret + "-token"}[name]
	})
	require.NoError(t, err)
	require.Equal(t, "from-file", cfg.SMS.Aliyun.AccessKeySecret)
	require.Equal(t, "cn-hangzhou", cfg.SMS.Aliyun.Region)
	require.Equal(t, "127.0.0.1:9", cfg.SMS.Aliyun.Endpoint)
	require.Equal(t, "http", cfg.SMS.Aliyun.Scheme)
	require.Equal(t, "token-from-a-file-0123", cfg.SMS.Token)
}

// TestLeaveStoreSMSThroughCloudProviders runs the leave-store SMS through the worker's
// sender as configured for each cloud provider, against a stand-in for its API on
// loopback: without a provider template code the message fails naming the template;
// with one, the provider gets the code, the signature and the parameters, its id is
// stored, its delivery report (posted to our callback) marks the message delivered, and
// a TD reply opts the number out.
func TestLeaveStoreSMSThroughCloudProviders(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	rdb := storetest.NewRedis(t).Client
	q := store.New(db)
	dealer, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "SZ01", Name: "深圳测试4S店"})
	require.NoError(t, err)

	// The stand-in accepts every message and keeps the last request's fields.
	var mu sync.Mutex
	var last map[string]any
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fields := map[string]any{}
		if r.Header.Get("X-TC-Action") == "SendSms" {
			b, _ := io.ReadAll(r.Body)
			require.NoError(t, json.Unmarshal(b, &fields))
			_, _ = io.WriteString(w, `{"Response":{"SendStatusSet":[{"SerialNo":"sn-7","Code":"Ok","Message":"send success"}],"RequestId":"r"}}`)
		} else {
			require.NoError(t, r.ParseForm())
			for k := range r.Form {
				fields[k] = r.Form.Get(k)
			}
			_, _ = io.WriteString(w, `{"Code":"OK","Message":"OK","BizId":"biz-7","RequestId":"r"}`)
		}
		mu.Lock()
		last = fields
		mu.Unlock()
	}))
	t.Cleanup(fake.Close)

	for i, c := range []struct {
		provider, code, pid, report, reply, ack string
		env                                     map[string]string
		sent                                    func(f map[string]any)
	}{
		{provider: "aliyun", code: "SMS_100200300", pid: "biz-7", ack: `{"code":0,"msg":"成功"}`,
			env:    map[string]string{"HUIFANG_ALIYUN_ACCESS_KEY_ID": "id", "HUIFANG_ALIYUN_ACCESS_KEY_SECRET": "s", "HUIFANG_ALIYUN_ENDPOINT": fake.URL},
			report: `[{"phone_number":"%s","report_time":"2026-11-23 10:00:05","success":true,"err_code":"DELIVERED","biz_id":"biz-7","out_id":"%d"}]`,
			reply:  `[{"phone_number":"%s","send_time":"2026-11-23 10:01:00","content":"TD","dest_code":"1"}]`,
			sent: func(f map[string]any) {
				require.Equal(t, "SMS_100200300", f["TemplateCode"])
				require.Equal(t, "深圳测试4S店", f["SignName"])
				require.JSONEq(t, `{"customer":"王先生","dealer":"深圳测试4S店"}`, f["TemplateParam"].(string))
			}},
		{provider: "tencent", code: "100200", pid: "sn-7", ack: `{"result":0,"errmsg":"OK"}`,
			env:    map[string]string{"HUIFANG_TENCENT_SECRET_ID": "id", "HUIFANG_TENCENT_SECRET_KEY": "k", "HUIFANG_TENCENT_SDK_APP_ID": "1400000000", "HUIFANG_TENCENT_ENDPOINT": fake.URL},
			report: `[{"user_receive_time":"2026-11-23 10:00:05","mobile":"%s","report_status":"SUCCESS","errmsg":"DELIVRD","sid":"sn-7","ext":"%d"}]`,
			reply:  `{"mobile":"%s","text":"TD","time":1795000000}`,
			sent: func(f map[string]any) {
				require.Equal(t, "100200", f["TemplateId"])
				require.Equal(t, "深圳测试4S店", f["SignName"])
				require.Equal(t, []any{"王先生", "深圳测试4S店"}, f["TemplateParamSet"])
			}},
	} {
		c.env["HUIFANG_SMS_PROVIDER"] = c.provider
		c.env["HUIFANG_SMS_TOKEN"] = "cloud-token-0123456789"
		smsCfg, err := loadSMSConfig(envGetter(c.env), "127.0.0.1:8080")
		require.NoError(t, err, c.provider)
		d := &deps{cfg: &config{SMS: smsCfg}, log: slog.New(slog.NewTextHandler(io.Discard, nil)), db: db, rdb: rdb, mux: http.NewServeMux()}
		srv := httptest.NewServer(newSMSCallbackPart(d).mux)
		t.Cleanup(srv.Close)
		sender, err := smsSender(d)
		require.NoError(t, err, c.provider)

		visit := func(phone string) int64 {
			left, err := time.Parse(time.RFC3339, "2026-11-23T10:00:00+08:00")
			require.NoError(t, err)
			_, id := recordVisitSMS(t, db, queue.ShowroomVisit{DealerID: dealer.ID, Phone: phone,
				Name: "王", Title: "先生", ArrivedAt: left.Add(-time.Hour), LeftAt: &left})
			require.NotZero(t, id)
			return id
		}
		row := func(id int64) (status, provider, pid, errText string) {
			require.NoError(t, db.QueryRow(ctx, `SELECT status, provider, provider_id, error FROM sms_messages WHERE id = $1`, id).Scan(&status, &provider, &pid, &errText))
			return
		}

		// No provider template code yet: refused for good, naming the template.
		require.NoError(t, notify.SaveSMSTemplate(ctx, db, dealer.ID, notify.SMSTemplate{Code: "leave_store_care", Kind: "service",
			Body: leaveStoreBody(t)}, 0))
		first := visit(fmt.Sprintf("1391111000%d", i))
		require.Error(t, sender.Send(ctx, notify.SMS{ID: first}))
		status, _, _, errText := row(first)
		require.Equal(t, "failed", status)
		require.Contains(t, errText, `template "leave_store_care" has no `+c.provider+` template code`)

		// With the code the message goes out.
		require.NoError(t, notify.SaveSMSTemplate(ctx, db, dealer.ID, notify.SMSTemplate{Code: "leave_store_care", Kind: "service",
			Body: leaveStoreBody(t), ProviderCode: c.code}, 0))
		phone := fmt.Sprintf("1392222000%d", i)
		id := visit(phone)
		require.NoError(t, sender.Send(ctx, notify.SMS{ID: id}))
		status, provider, pid, _ := row(id)
		require.Equal(t, []string{"sent", c.provider, c.pid}, []string{status, provider, pid})
		mu.Lock()
		c.sent(last)
		mu.Unlock()

		post := func(path, body string) {
			resp, err := http.Post(srv.URL+path+"?token=cloud-token-0123456789", "application/json", strings.NewReader(body))
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, b)
			require.JSONEq(t, c.ack, string(b))
		}
		post("/sms/"+c.provider+"/report", fmt.Sprintf(c.report, phone, id))
		status, _, _, _ = row(id)
		require.Equal(t, "delivered", status)
		post("/sms/"+c.provider+"/reply", fmt.Sprintf(c.reply, phone))
		consent, err := q.GetSMSConsent(ctx, store.GetSMSConsentParams{DealerID: dealer.ID, Phone: phone})
		require.NoError(t, err)
		require.Equal(t, "opted_out", consent.State)
	}
}

// leaveStoreBody is the default text of the leave-store care SMS.
func leaveStoreBody(t testing.TB) string {
	d, ok := notify.DefaultSMSTemplate("leave_store_care")
	require.True(t, ok)
	return d.Body
}
