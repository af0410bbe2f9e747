package notify

import (
	"encoding/json"
	"fmt"
	"strings"
)

// newSendClaim is the claim of message id with what its provider needs: vars is the
// stored JSON of the variables it was rendered with, signature the dealer's, and
// templateBody the dealer's saved template text (empty: the default template of that
// code, if any), which gives the order of the variables.
func newSendClaim(id int64, phone, body string, attempts int, template string, vars json.RawMessage, signature, providerTemplate, templateBody string) *sendClaim {
	if templateBody == "" {
		d, _ := DefaultSMSTemplate(template)
		templateBody = d.Body
	}
	// nil names: the template's text is unknown; empty: it has no variables.
	var names []string
	if templateBody != "" {
		names = append([]string{}, TemplateVarNames(templateBody)...)
	}
	return &sendClaim{id: id, attempts: attempts, msg: OutgoingSMS{
		ID: id, Phone: phone, Body: body, Template: template, ProviderTemplate: providerTemplate,
		Vars: decodeSMSVars(vars), VarNames: names,
		Sign: strings.Trim(strings.TrimSpace(signature), "【】"),
	}}
}

// decodeSMSVars reads sms_messages.vars; values that are not strings are formatted.
func decodeSMSVars(raw json.RawMessage) map[string]string {
	var m map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return map[string]string{}
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		} else if v != nil {
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

// encodeSMSVars is the JSON stored in sms_messages.vars.
func encodeSMSVars(vars map[string]string) json.RawMessage {
	if vars == nil {
		vars = map[string]string{}
	}
	b, err := json.Marshal(vars)
	if err != nil { // a map of strings always marshals
		return json.RawMessage("{}")
	}
	return b
}

// TemplateVarNames returns the variables of a template text in order of first
// appearance, each once: "{customer}，您的爱车{plate}…{customer}" gives customer, plate.
func TemplateVarNames(body string) []string {
	var names []string
	seen := map[string]bool{}
	for _, m := range varPattern.FindAllStringSubmatch(body, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			names = append(names, m[1])
		}
	}
	return names
}
