package agentui

import "github.com/prometheus/client_golang/prometheus"

// agentsDesc describes huifang_agents.
var agentsDesc = prometheus.NewDesc("huifang_agents",
	"Agents known to this console process, by status (offline, ready, paused) and phase (idle, preview, countdown, call, wrapup).",
	[]string{"status", "phase"}, nil)

// Collector returns a Prometheus collector of the console's agents by status and phase,
// read at each scrape. Register it on the process's registry.
func (c *Console) Collector() prometheus.Collector { return agentCollector{c.h.agents} }

// agentCollector counts the agents at each scrape.
type agentCollector struct{ as *agents }

// Describe sends huifang_agents' description.
func (ac agentCollector) Describe(ch chan<- *prometheus.Desc) { ch <- agentsDesc }

// Collect counts the agents by status and phase.
func (ac agentCollector) Collect(ch chan<- prometheus.Metric) {
	type key struct{ status, phase string }
	counts := map[key]int{}
	for _, a := range ac.as.list() {
		a.mu.Lock()
		counts[key{a.status, a.phase}]++
		a.mu.Unlock()
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(agentsDesc, prometheus.GaugeValue, float64(n), k.status, k.phase)
	}
}
