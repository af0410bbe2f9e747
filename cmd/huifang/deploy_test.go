package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/telephony"
)

// nameRecorder is a prometheus.Registerer that keeps the names of what is registered.
type nameRecorder struct{ names map[string]bool }

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

func (r *nameRecorder) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 64)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			r.names[m[1]] = true
		}
	}
	return nil
}

func (r *nameRecorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = r.Register(c)
	}
}

func (r *nameRecorder) Unregister(prometheus.Collector) bool { return false }

// knownMetrics returns the names of every series serve and worker expose.
func knownMetrics(t *testing.T) map[string]bool {
	t.Helper()
	r := &nameRecorder{names: map[string]bool{}}
	telephony.NewMetrics(r)
	queue.NewMetrics(r)
	notify.NewMetrics(r)
	r.MustRegister(queue.NewCollector(queue.CollectorConfig{}))
	// Registered in newMetricsSet, newGatewayPart and newConsolePart, and by Asynq's
	// x/metrics collector and the Go and process collectors (which need live
	// connections to describe themselves).
	for _, n := range []string{"huifang_sip_dialogs", "huifang_agents", "asynq_tasks_enqueued_total", "asynq_queue_size",
		"asynq_queue_latency_seconds", "asynq_tasks_processed_total", "asynq_tasks_failed_total", "go_goroutines",
		"process_resident_memory_bytes", "up"} {
		r.names[n] = true
	}
	return r.names
}

// metricNames returns the metric names a PromQL expression uses.
func metricNames(expr string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`\b((?:huifang|asynq|go|process)_[a-z_]+|up)\b`).FindAllString(expr, -1) {
		out = append(out, strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_sum"), "_count"))
	}
	return out
}

// TestMonitoringFiles checks the files of `docker compose --profile monitoring`: they
// parse, the dashboard's and the alerts' queries name only series Huifang exposes, and
// the compose file wires Prometheus and Grafana to them. No Docker engine is needed.
func TestMonitoringFiles(t *testing.T) {
	root := filepath.Join("..", "..")
	known := knownMetrics(t)
	var unknown []string
	check := func(where, expr string) {
		for _, n := range metricNames(expr) {
			if !known[n] {
				unknown = append(unknown, where+": "+n)
			}
		}
	}

	raw, err := os.ReadFile(filepath.Join(root, "deploy", "grafana", "huifang.json"))
	require.NoError(t, err)
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &dash))
	require.Equal(t, "huifang", dash.UID)
	var graphs int
	for _, p := range dash.Panels {
		if p.Type == "row" {
			continue
		}
		graphs++
		require.NotEmpty(t, p.Targets, p.Title)
		for _, tg := range p.Targets {
			require.NotEmpty(t, tg.Expr, p.Title)
			check("dashboard "+p.Title, tg.Expr)
		}
	}
	require.GreaterOrEqual(t, graphs, 15)

	var alerts struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	readYAML(t, filepath.Join(root, "deploy", "prometheus", "alerts.yml"), &alerts)
	require.NotEmpty(t, alerts.Groups)
	for _, r := range alerts.Groups[0].Rules {
		check("alert "+r.Alert, r.Expr)
	}
	sort.Strings(unknown)
	require.Empty(t, unknown, "queries name series that Huifang does not expose")

	var prom struct {
		ScrapeConfigs []struct {
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, filepath.Join(root, "deploy", "prometheus", "prometheus.yml"), &prom)
	require.Equal(t, []string{"huifang:9090"}, prom.ScrapeConfigs[0].StaticConfigs[0].Targets)

	var compose struct {
		Services map[string]struct {
			Profiles    []string          `yaml:"profiles"`
			Environment map[string]string `yaml:"environment"`
			Volumes     []string          `yaml:"volumes"`
		} `yaml:"services"`
	}
	readYAML(t, filepath.Join(root, "docker-compose.yml"), &compose)
	require.Equal(t, "0.0.0.0:9090", compose.Services["huifang"].Environment["HUIFANG_METRICS_ADDR"])
	require.NotEmpty(t, compose.Services["huifang"].Environment["DATABASE_URL"], "the shared environment is merged in")
	for _, s := range []string{"prometheus", "grafana"} {
		require.Equal(t, []string{"monitoring"}, compose.Services[s].Profiles, s)
		for _, v := range compose.Services[s].Volumes {
			if src, _, ok := strings.Cut(v, ":"); ok && strings.HasPrefix(src, "./") {
				_, err := os.Stat(filepath.Join(root, src))
				require.NoError(t, err, "%s mounts %s", s, src)
			}
		}
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(raw, v), path)
}
