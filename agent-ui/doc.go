// Package agentui owns the browser console of Huifang: the agents' working screen, the
// directors' wallboard, call record list and script editor, login and sessions.
//
// It is plain net/http: the routes are one table (routes.go) of Go 1.22 ServeMux patterns,
// one handler per file, each a method of the handler struct, and every error response
// goes through handler.fail, which logs it. Templates and static files are embedded and
// static files are served at checksum URLs with long cache lifetimes; no front-end build
// step exists. Pages are in Chinese by default with an English switch.
//
// Live work runs over one WebSocket (/ws) per browser tab. A hub in the style of
// gorilla/websocket's chat example owns the set of connections; each connection has one
// reader and one writer goroutine and ping/pong deadlines. An agent's working state
// (ready or paused, the task on screen, the live call, wrap-up) belongs to the user, not
// to the connection, so a browser that drops reconnects to the same call and wrap-up.
// Timers (progressive countdown, call duration) run on the server and are pushed as
// ticks, so a background tab keeps working. With Deps.Cluster several console processes
// share the agents through Redis (cluster.go): each agent runs in one owner process, a
// connection to another process is served through it, and another process takes the
// agent over from its saved state when the owner goes.
//
// The console depends on two small interfaces that cmd wires to the real parts: Queue
// (take the next task, give it back, record the outcome exactly once) and Dialer (place a
// call through the gateway and report its states).
package agentui
