package api_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/api/apitest"
	"github.com/bihealth/kiosc/app/server"
)

type openAPIDoc struct {
	OpenAPI string                                `json:"openapi"`
	Info    struct{ Title, Version string }       `json:"info"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(api.OpenAPIDocument(), &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	return doc
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := loadOpenAPI(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Errorf("openapi = %q, want 3.0.x", doc.OpenAPI)
	}
	if doc.Info.Title == "" || doc.Info.Version == "" {
		t.Errorf("info needs title and version: %+v", doc.Info)
	}
	if len(doc.Paths) == 0 {
		t.Fatal("no paths")
	}
	// Every $ref must point at something in the document.
	var raw map[string]any
	if err := json.Unmarshal(api.OpenAPIDocument(), &raw); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if !resolves(raw, ref) {
					t.Errorf("dangling $ref %q", ref)
				}
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(raw)
	// Path templates and declared path parameters must agree.
	for path, item := range doc.Paths {
		if strings.Contains(path, ":") {
			t.Errorf("path %s uses :param instead of {param}", path)
		}
		if strings.Contains(path, "{") && item["parameters"] == nil {
			t.Errorf("path %s has no path parameters declared", path)
		}
	}
}

func resolves(doc map[string]any, ref string) bool {
	if !strings.HasPrefix(ref, "#/") {
		return false
	}
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[part]; !ok {
			return false
		}
	}
	return true
}

// apiModules are the /api/v1 modules of main.go, built with zero dependencies: registering routes does not use them.
func apiModules() []server.Module {
	return []server.Module{
		&api.Sessions{},
		&api.Sodar{},
		&api.Live{},
		&api.Tokens{},
		&api.Users{},
		&api.Projects{},
		&api.Roles{},
		&api.MemberSearch{},
		&api.Timeline{},
		&api.Containers{},
		&api.Volumes{},
		&api.Admin{},
		&api.Images{},
		&api.Usage{},
		&api.Templates{},
		&api.Sharing{},
		&api.OpenAPI{},
	}
}

// mainAPIModules returns the type names (api.X) of the modules main.go lists under API:, following local variables
// assigned from &api.X{...} or from a function of main.go whose first result is *api.X.
func mainAPIModules(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../../main.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	apiType := func(e ast.Expr) string {
		if u, ok := e.(*ast.UnaryExpr); ok {
			e = u.X
		}
		if s, ok := e.(*ast.StarExpr); ok {
			e = s.X
		}
		if c, ok := e.(*ast.CompositeLit); ok {
			e = c.Type
		}
		if s, ok := e.(*ast.SelectorExpr); ok {
			if x, ok := s.X.(*ast.Ident); ok && x.Name == "api" {
				return s.Sel.Name
			}
		}
		return ""
	}
	funcs := map[string]string{} // function name -> api type of its first result
	vars := map[string]string{}  // variable name -> api type
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			if n.Type.Results != nil && len(n.Type.Results.List) > 0 {
				funcs[n.Name.Name] = apiType(n.Type.Results.List[0].Type)
			}
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				id, ok := lhs.(*ast.Ident)
				if !ok {
					continue
				}
				if len(n.Rhs) == len(n.Lhs) {
					vars[id.Name] = apiType(n.Rhs[i])
				}
				if call, ok := n.Rhs[0].(*ast.CallExpr); ok && len(n.Rhs) == 1 && i == 0 {
					if fn, ok := call.Fun.(*ast.Ident); ok {
						vars[id.Name] = fn.Name
					}
				}
			}
		}
		return true
	})
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		kv, ok := n.(*ast.KeyValueExpr)
		if !ok {
			return true
		}
		if k, ok := kv.Key.(*ast.Ident); !ok || k.Name != "API" {
			return true
		}
		list, ok := kv.Value.(*ast.CompositeLit)
		if !ok {
			t.Fatal("main.go: API is not a slice literal")
		}
		for _, e := range list.Elts {
			name := apiType(e)
			if id, ok := e.(*ast.Ident); ok {
				name = vars[id.Name]
				if fn, ok := funcs[name]; ok {
					name = fn
				}
			}
			if name == "" {
				t.Fatalf("main.go: cannot tell the type of API module %#v", e)
			}
			out = append(out, name)
		}
		return false
	})
	sort.Strings(out)
	return out
}

// TestAPIModulesMatchMain makes sure the route drift test builds every module main.go mounts under /api/v1.
func TestAPIModulesMatchMain(t *testing.T) {
	var here []string
	for _, m := range apiModules() {
		here = append(here, reflect.TypeOf(m).Elem().Name())
	}
	sort.Strings(here)
	if main := mainAPIModules(t); !reflect.DeepEqual(here, main) {
		t.Errorf("main.go mounts %v under /api/v1, the drift test builds %v", main, here)
	}
}

var routeParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

var httpMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true,
	"patch": true, "trace": true}

// TestOpenAPIMatchesRoutes keeps the document and the registered /api/v1 routes in step, both ways.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	app := fiber.New()
	v1 := app.Group("/api/v1")
	for _, m := range apiModules() {
		m.Register(v1)
	}
	registered := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		if r.Method == fiber.MethodHead || !strings.HasPrefix(r.Path, "/api/v1/") || strings.Contains(r.Path, "*") {
			continue
		}
		path := routeParam.ReplaceAllString(strings.TrimPrefix(r.Path, "/api/v1"), "{$1}")
		registered[strings.ToLower(r.Method)+" "+path] = true
	}
	if len(registered) < 30 {
		t.Fatalf("only %d routes registered; the module list is incomplete", len(registered))
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			if httpMethods[method] {
				documented[method+" "+path] = true
			}
		}
	}
	var missing, extra []string
	for k := range registered {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !registered[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, k := range missing {
		t.Errorf("route %s is registered but not in openapi.json", k)
	}
	for _, k := range extra {
		t.Errorf("openapi.json documents %s, which is not registered", k)
	}
}

func TestOpenAPIServedAnonymously(t *testing.T) {
	env := apitest.New(t, apitest.Options{API: func(*apitest.Env) []server.Module { return []server.Module{&api.OpenAPI{}} }})
	res := env.Anonymous().Do("GET", "/api/v1/openapi.json", nil)
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s", res.StatusCode, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	if res.JSON["openapi"] == nil || res.JSON["paths"] == nil {
		t.Errorf("body is not the document: %.200s", res.Body)
	}
}

// TestOpenAPIMapAnswers checks the answers that handlers build as maps (so that openapi_schema_test.go has no Go type
// to reflect on) against their schemas: the same keys, every key required, null only where the schema allows it.
func TestOpenAPIMapAnswers(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(api.OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	env := apitest.New(t, apitest.Options{API: func(e *apitest.Env) []server.Module {
		return []server.Module{&api.Sodar{Store: e.Store}}
	}})
	admin := env.Login("admin", "admin-password")
	for _, c := range []struct {
		client       *apitest.Client
		method, path string
		body         any
		schema       string
	}{
		{env.Anonymous(), "GET", "/api/v1/config", nil, "Config"},
		{env.Anonymous(), "POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": "admin-password"}, "Me"},
		{admin, "GET", "/api/v1/me", nil, "Me"},
		{admin, "GET", "/api/v1/admin/sodar", nil, "SodarStatus"},
		{env.Login("admin", "admin-password"), "POST", "/api/v1/auth/logout", nil, "LogoutResult"},
	} {
		res := c.client.Do(c.method, c.path, c.body)
		if res.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, res.StatusCode, res.Body)
		}
		matchObject(t, c.method+" "+c.path, doc.Components.Schemas[c.schema], res.JSON)
	}
}

// matchObject compares the keys of a JSON object with an object schema, into inline objects but not into $refs.
func matchObject(t *testing.T, path string, schema map[string]any, got map[string]any) {
	t.Helper()
	props, _ := schema["properties"].(map[string]any)
	required := map[string]bool{}
	if list, ok := schema["required"].([]any); ok {
		for _, v := range list {
			required[v.(string)] = true
		}
	}
	for key, value := range got {
		p, ok := props[key].(map[string]any)
		if !ok {
			t.Errorf("%s: answers %q, the schema does not have it", path, key)
			continue
		}
		if !required[key] {
			t.Errorf("%s: always answers %q, the schema does not require it", path, key)
		}
		if nullable, _ := p["nullable"].(bool); value == nil && !nullable {
			t.Errorf("%s.%s: answered null, the schema is not nullable", path, key)
		}
		if inner, ok := value.(map[string]any); ok && p["type"] == "object" && p["$ref"] == nil {
			matchObject(t, path+"."+key, p, inner)
		}
	}
	for key := range props {
		if _, ok := got[key]; !ok {
			t.Errorf("%s: the schema has %q, the answer does not", path, key)
		}
	}
}
