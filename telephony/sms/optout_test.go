package sms

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIsOptOut(t *testing.T) {
	for _, c := range []struct {
		text string
		want bool
	}{
		{"TD", true}, {"td", true}, {" Td。", true}, {"退订", true}, {"退订!", true}, {"回复TD", true},
		{"N", true}, {"T", true}, {"取消", true}, {"不要再发", true}, {"我要退订短信", true}, {"STOP", true},
		{"好的", false}, {"谢谢", false}, {"Thanks", false}, {"明天到店", false}, {"", false}, {"1", false},
	} {
		require.Equal(t, c.want, IsOptOut(c.text), "%q", c.text)
	}
}

func TestKannelHandlerRejectsBadRequests(t *testing.T) {
	h := &KannelHandler{Recorder: &Recorder{}, Token: "tok"}
	for path, code := range map[string]int{
		"/sms/kannel/dlr?id=1&type=1":               http.StatusForbidden,
		"/sms/kannel/dlr?id=x&type=1&token=tok":     http.StatusBadRequest,
		"/sms/kannel/dlr?id=1&type=3&token=tok":     http.StatusBadRequest,
		"/sms/kannel/mo?from=abc&text=TD&token=tok": http.StatusBadRequest,
		"/sms/kannel/other?token=tok":               http.StatusNotFound,
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		require.Equal(t, code, w.Code, path)
	}
}

func TestKannelReportURL(t *testing.T) {
	k, err := NewKannel(KannelConfig{SendURL: "http://127.0.0.1:1/cgi-bin/sendsms", Username: "u", ReportURL: "http://h/dlr", Token: "a b"})
	require.NoError(t, err)
	require.Equal(t, "http://h/dlr?id=7&type=%d&answer=%A&ts=%T&token=a+b", k.reportURL(7))
	_, err = NewKannel(KannelConfig{SendURL: "ftp://x", Username: "u"})
	require.Error(t, err)
	_, err = NewKannel(KannelConfig{SendURL: "http://x"})
	require.Error(t, err)
}
