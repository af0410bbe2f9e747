// Package scripts owns the call scripts (话术): one script per campaign, written in
// Chinese and embedded in the binary as versioned YAML files (campaigns/<code>.yaml), the
// shared library of objection answers (campaigns/_objections.yaml), the rendering of a
// script's variables (customer name and title, plate, model, dealer, agent, last visit,
// due day) with html/template escaping, the merging of several campaigns' scripts into
// one for a task with several reasons, and the directors' per-dealer edits, which are
// versioned in Postgres (table script_versions).
//
// A script version is named "campaign@N": N = 0 is the embedded script, N > 0 a dealer's
// edit. A merged script's version lists its parts joined by "+", for example
// "complaint@0+maintenance@3"; a call records that string so it keeps the words it was
// made with.
package scripts
