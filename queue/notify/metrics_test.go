package notify

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// fakeProvider fails the messages whose body is "fail".
type fakeProvider struct{}

func (fakeProvider) Name() string { return "fake" }

func (fakeProvider) Submit(_ context.Context, m OutgoingSMS) (string, error) {
	if m.Body == "fail" {
		return "", errors.New("refused")
	}
	return "id-1", nil
}

func TestMetricsCountSubmissions(t *testing.T) {
	var none *Metrics
	require.Equal(t, Provider(fakeProvider{}), none.Provider(fakeProvider{}), "nil metrics wrap nothing")

	m := NewMetrics(prometheus.NewRegistry())
	p := m.Provider(fakeProvider{})
	require.Equal(t, "fake", p.Name())
	for _, body := range []string{"ok", "ok", "fail"} {
		_, _ = p.Submit(context.Background(), OutgoingSMS{Body: body})
	}
	require.Equal(t, 2.0, testutil.ToFloat64(m.smsSubmitted.WithLabelValues("fake", "accepted")))
	require.Equal(t, 1.0, testutil.ToFloat64(m.smsSubmitted.WithLabelValues("fake", "failed")))
}
