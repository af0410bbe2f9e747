package main

// extraParts returns the product's background parts in start order: workers first (so
// tasks have somewhere to go), then the scheduler and outbox relay, then the SIP gateway.
// Each issue's code adds its part here.
func extraParts(d *deps) []part {
	return []part{newWorkerPart(d), newSchedulerPart(d), newRelayPart(d), newGatewayPart(d), newConsolePart(d)}
}
