package provider

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// The registry-style docs under terraform/docs are generated from the
// schemas' descriptions and the snippets under terraform/examples:
//
//	go test ./internal/provider -run TestDocs -update
//
// TestDocs fails when an attribute has no description, or when the
// committed docs are not what the schemas generate (an attribute added,
// renamed or documented differently without regenerating them).
var updateDocs = flag.Bool("update", false, "rewrite terraform/docs from the schemas")

// importDocs says how each resource is imported.
var importDocs = map[string]string{
	"sluice_queue": "By URL, as the AWS provider imports aws_sqs_queue, or by account/name:\n\n" +
		"```shell\nterraform import sluice_queue.orders http://127.0.0.1:9324/972019064209/orders\n" +
		"terraform import sluice_queue.orders 972019064209/orders\n```\n\nname_prefix is not stored on the server, so an imported queue has none.",
	"sluice_queue_redrive_policy":       "By the queue's URL:\n\n```shell\nterraform import sluice_queue_redrive_policy.orders http://127.0.0.1:9324/972019064209/orders\n```",
	"sluice_queue_redrive_allow_policy": "By the queue's URL:\n\n```shell\nterraform import sluice_queue_redrive_allow_policy.orders_dlq http://127.0.0.1:9324/972019064209/orders-dlq\n```",
	"sluice_queue_policy":               "By the queue's URL:\n\n```shell\nterraform import sluice_queue_policy.orders http://127.0.0.1:9324/972019064209/orders\n```",
	"sluice_topic": "By ARN, as the AWS provider imports aws_sns_topic, or by account/name:\n\n" +
		"```shell\nterraform import sluice_topic.orders arn:aws:sns:us-east-1:972019064209:orders\n" +
		"terraform import sluice_topic.orders 972019064209/orders\n```",
	"sluice_topic_subscription": "By the subscription's ARN, as the AWS provider imports aws_sns_topic_subscription:\n\n" +
		"```shell\nterraform import sluice_topic_subscription.eu_orders arn:aws:sns:us-east-1:972019064209:orders:9b6e4c1a-2f0d-4a8e-9c3b-5d7f1e2a4b6c\n```",
	"sluice_tenant": "By account id:\n\n```shell\nterraform import sluice_tenant.team_b 123456789012\n```",
	"sluice_access_key": "By account/keyid. The secret cannot be read back, so an imported key has no secret_access_key:\n\n" +
		"```shell\nterraform import sluice_access_key.team_b 123456789012/SLKU34NRGZKLSUDYMZT2\n```",
}

func TestDocs(t *testing.T) {
	resp := getSchema(t.Context(), t, newProtocolServer(t, nil))
	root := filepath.Join("..", "..")
	pages := map[string]string{
		filepath.Join("docs", "index.md"): docPage(t, root, "sluice Provider", "provider", "", resp.Provider,
			filepath.Join("examples", "provider", "provider.tf")),
	}
	for name, s := range resp.ResourceSchemas {
		pages[filepath.Join("docs", "resources", strings.TrimPrefix(name, "sluice_")+".md")] =
			docPage(t, root, name, "Resource", importDocs[name], s, filepath.Join("examples", "resources", name, "resource.tf"))
		if importDocs[name] == "" {
			t.Errorf("%s: no import docs", name)
		}
	}
	for name, s := range resp.DataSourceSchemas {
		pages[filepath.Join("docs", "data-sources", strings.TrimPrefix(name, "sluice_")+".md")] =
			docPage(t, root, name, "Data Source", "", s, filepath.Join("examples", "data-sources", name, "data-source.tf"))
	}

	for rel, want := range pages {
		path := filepath.Join(root, rel)
		if *updateDocs {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v (run go test ./internal/provider -run TestDocs -update)", rel, err)
			continue
		}
		if string(got) != want {
			t.Errorf("%s is not what the schemas generate: run go test ./internal/provider -run TestDocs -update", rel)
		}
	}
	// Pages for resources that no longer exist.
	for _, dir := range []string{"resources", "data-sources"} {
		files, _ := filepath.Glob(filepath.Join(root, "docs", dir, "*.md"))
		for _, f := range files {
			rel, _ := filepath.Rel(root, f)
			if _, ok := pages[rel]; !ok {
				t.Errorf("%s documents nothing the provider has", rel)
			}
		}
	}
}

// docPage renders one registry-style page and checks that every
// attribute has a description.
func docPage(t *testing.T, root, name, kind, importDoc string, s *tfprotov6.Schema, example string) string {
	t.Helper()
	var b bytes.Buffer
	title := name
	if kind != "provider" {
		title = name + " (" + kind + ")"
	}
	fmt.Fprintf(&b, "---\npage_title: %q\ndescription: |-\n  %s\n---\n\n# %s\n\n%s\n",
		title, s.Block.Description, title, s.Block.Description)
	if src, err := os.ReadFile(filepath.Join(root, example)); err != nil {
		t.Errorf("%s: no example: %v", name, err)
	} else {
		fmt.Fprintf(&b, "\n## Example Usage\n\n```terraform\n%s```\n", src)
	}
	b.WriteString("\n## Schema\n")
	writeBlock(t, &b, name, s.Block, "")
	if importDoc != "" {
		fmt.Fprintf(&b, "\n## Import\n\n%s\n", importDoc)
	}
	return b.String()
}

type docAttr struct {
	name, typ, description string
	nested                 *tfprotov6.SchemaObject
	block                  *tfprotov6.SchemaBlock
}

func writeBlock(t *testing.T, b *bytes.Buffer, owner string, block *tfprotov6.SchemaBlock, prefix string) {
	t.Helper()
	groups := map[string][]docAttr{}
	var nestedOnes []docAttr
	for _, a := range block.Attributes {
		if strings.TrimSpace(a.Description) == "" {
			t.Errorf("%s: attribute %s%s has no description", owner, prefix, a.Name)
		}
		typ := "String"
		if a.Type != nil {
			typ = docTypeName(a.Type.String())
		}
		d := docAttr{name: a.Name, typ: typ, description: a.Description, nested: a.NestedType}
		if a.NestedType != nil {
			d.typ = "Attributes"
			nestedOnes = append(nestedOnes, d)
		}
		group := "Read-Only"
		switch {
		case a.Required:
			group = "Required"
		case a.Optional:
			group = "Optional"
		}
		if a.Sensitive {
			d.typ += ", Sensitive"
		}
		groups[group] = append(groups[group], d)
	}
	for _, bt := range block.BlockTypes {
		if strings.TrimSpace(bt.Block.Description) == "" {
			t.Errorf("%s: block %s%s has no description", owner, prefix, bt.TypeName)
		}
		d := docAttr{name: bt.TypeName, typ: "Block", description: bt.Block.Description, block: bt.Block}
		groups["Optional"] = append(groups["Optional"], d)
		nestedOnes = append(nestedOnes, d)
	}
	for _, group := range []string{"Required", "Optional", "Read-Only"} {
		attrs := groups[group]
		if len(attrs) == 0 {
			continue
		}
		slices.SortFunc(attrs, func(x, y docAttr) int { return strings.Compare(x.name, y.name) })
		fmt.Fprintf(b, "\n### %s\n\n", group)
		for _, a := range attrs {
			fmt.Fprintf(b, "- `%s` (%s) %s\n", a.name, a.typ, a.description)
		}
	}
	slices.SortFunc(nestedOnes, func(x, y docAttr) int { return strings.Compare(x.name, y.name) })
	for _, n := range nestedOnes {
		fmt.Fprintf(b, "\n<a id=\"nestedschema--%s%s\"></a>\n### Nested Schema for `%s%s`\n", prefix, n.name, prefix, n.name)
		inner := n.block
		if n.nested != nil {
			inner = &tfprotov6.SchemaBlock{Attributes: n.nested.Attributes}
		}
		writeBlock(t, b, owner, inner, prefix+n.name+".")
	}
}

// docTypeName turns tftypes' names (tftypes.String, tftypes.Map[tftypes.String])
// into the docs' (String, Map of String).
func docTypeName(s string) string {
	s = strings.ReplaceAll(s, "tftypes.", "")
	if open := strings.IndexByte(s, '['); open > 0 && strings.HasSuffix(s, "]") {
		return s[:open] + " of " + docTypeName(s[open+1:len(s)-1])
	}
	return s
}
