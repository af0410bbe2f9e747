package scripts

import (
	"fmt"
	"strings"
	"text/template/parse"
)

// Scripts saved before the script syntax of text.go were Go templates ({{.Salutation}},
// {{if .Plate}}（{{.Plate}}）{{end}}). Stored versions never change, so such a version is
// converted when it is read: the template is only parsed (text/template/parse builds a
// tree and runs nothing), and only the forms the embedded scripts used are converted:
//
//	{{.X}}                          -> {变量}
//	{{if .X}}A{{end}}               -> [A]     (A uses .X)
//	{{if .X}}A{{else}}B{{end}}      -> [A|B]   (A uses .X)
//
// Anything else (range, with, functions, pipelines, nested ifs) is refused: such a version
// is not used for calls (see Library).

// isLegacy says whether a stored text is in the old template syntax.
func isLegacy(s string) bool { return strings.Contains(s, "{{") }

// convertLegacy turns one text of the old template syntax into the script syntax.
func convertLegacy(src string) (string, error) {
	trees, err := parse.Parse("legacy", src, "{{", "}}")
	if err != nil {
		return "", fmt.Errorf("旧模板无法读取：%w", err)
	}
	tree := trees["legacy"]
	if len(trees) != 1 || tree == nil || tree.Root == nil {
		return "", fmt.Errorf("旧模板里有 define/block，不能转换")
	}
	var b strings.Builder
	if err := convertList(&b, tree.Root, false); err != nil {
		return "", err
	}
	return b.String(), nil
}

func convertList(b *strings.Builder, list *parse.ListNode, inIf bool) error {
	if list == nil {
		return nil
	}
	for _, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			t := string(n.Text)
			if strings.ContainsAny(t, "{}[]") || inIf && strings.Contains(t, "|") {
				return fmt.Errorf("旧模板的文字里有 { } [ ] |，不能转换")
			}
			b.WriteString(t)
		case *parse.ActionNode:
			f, err := legacyField(n.Pipe)
			if err != nil {
				return err
			}
			b.WriteString("{" + f.Name + "}")
		case *parse.IfNode:
			if inIf {
				return fmt.Errorf("旧模板里有套在一起的 if，不能转换")
			}
			cond, err := legacyField(n.Pipe)
			if err != nil {
				return err
			}
			var main, alt strings.Builder
			if err := convertList(&main, n.List, true); err != nil {
				return err
			}
			if err := convertList(&alt, n.ElseList, true); err != nil {
				return err
			}
			if !strings.Contains(main.String(), "{"+cond.Name+"}") {
				return fmt.Errorf("旧模板的 {{if .%s}} 里没有用到 .%s，不能转换", cond.Legacy, cond.Legacy)
			}
			b.WriteString("[" + main.String())
			if alt.Len() > 0 {
				b.WriteString("|" + alt.String())
			}
			b.WriteString("]")
		default:
			return fmt.Errorf("旧模板里有不允许的写法 %s（只允许变量和 if）", n.String())
		}
	}
	return nil
}

// legacyField reads a pipeline that is exactly one known field, {{.X}}.
func legacyField(p *parse.PipeNode) (Field, error) {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return Field{}, fmt.Errorf("旧模板里有不允许的写法 {{%s}}（只允许变量和 if）", p)
	}
	fn, ok := p.Cmds[0].Args[0].(*parse.FieldNode)
	if !ok || len(fn.Ident) != 1 {
		return Field{}, fmt.Errorf("旧模板里有不允许的写法 {{%s}}（只允许变量和 if）", p)
	}
	for _, f := range fields {
		if f.Legacy == fn.Ident[0] {
			return f, nil
		}
	}
	return Field{}, fmt.Errorf("旧模板里的 .%s 不是可用的变量", fn.Ident[0])
}
