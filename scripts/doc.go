// Package scripts owns the call scripts (话术): one script per campaign, written in
// Chinese and embedded in the binary as versioned YAML files (campaigns/<code>.yaml), the
// shared library of objection answers (campaigns/_objections.yaml), the filling of a
// script's variables (customer salutation and name, plate, model, dealer, agent, sales
// consultant, last visit, due day), the merging of several campaigns' scripts into one
// for a task with several reasons, and the directors' per-dealer edits, which are
// versioned in Postgres (table script_versions).
//
// A script's texts may only put in variables from a closed list, {称呼}, and optional
// parts, [（{车牌}）] or [{车型}|爱车]: no loops, calls or markup (text.go). Rendering is
// a copy with substitutions, its output is plain text of a bounded size, and pages show
// it as text. Versions stored in the old Go-template syntax are converted when read
// (legacy.go); the template is parsed, never executed.
//
// A script version is named "campaign@N": N = 0 is the embedded script, N > 0 a dealer's
// edit. A merged script's version lists its parts joined by "+", for example
// "complaint@0+maintenance@3"; a call records that string so it keeps the words it was
// made with.
package scripts
