package api

// The schemas of openapi.json are the source of the single-page app's wire types (frontend/src/api/schema.gen.ts
// is generated from them), so they must say what the Go types marshal. This test walks each schema next to the
// Go type it describes, by reflection over its JSON tags: the same field names both ways, a property required
// exactly when its field has no omitempty, nullable exactly when the field is a pointer, and matching kinds
// (string, boolean, integer, number, date-time, array, object) down through nested objects and $refs.
// Request bodies are checked for names and kinds only: their pointers mean "absent", and what is required is the
// handler's validation.

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/sharing"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/templates"
	"github.com/bihealth/kiosc/app/timeline"
	"github.com/bihealth/kiosc/app/usage"
	"github.com/bihealth/kiosc/app/web"
)

// schemaList is the shape of every list answer: {"items": [...], "total": N}.
type schemaList[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

// errorEnvelope is how errors answer (see web.Error).
type errorEnvelope struct {
	Error web.Error `json:"error"`
}

// tokenCreated is the answer of POST /tokens, built inline in Tokens.create.
type tokenCreated struct {
	TokenOut
	Token string `json:"token"`
}

type schemaCase struct {
	typ   reflect.Type
	input bool // a request body
}

func respBody[T any]() schemaCase { return schemaCase{typ: reflect.TypeFor[T]()} }
func reqBody[T any]() schemaCase  { return schemaCase{typ: reflect.TypeFor[T](), input: true} }

// schemaTypes maps each object schema to the Go type that the handlers marshal or decode for it.
var schemaTypes = map[string]schemaCase{
	"Error":              respBody[errorEnvelope](),
	"LoginInput":         reqBody[loginIn](),
	"PasswordInput":      reqBody[passwordIn](),
	"User":               respBody[UserOut](),
	"UserList":           respBody[schemaList[UserOut]](),
	"UserInput":          reqBody[userIn](),
	"UserPatch":          reqBody[userPatch](),
	"Token":              respBody[TokenOut](),
	"TokenCreated":       respBody[tokenCreated](),
	"TokenList":          respBody[schemaList[TokenOut]](),
	"TokenInput":         reqBody[tokenIn](),
	"Project":            respBody[ProjectOut](),
	"ProjectList":        respBody[schemaList[ProjectOut]](),
	"ProjectInput":       reqBody[projectIn](),
	"ProjectPatch":       reqBody[projectPatch](),
	"RoleInput":          reqBody[roleIn](),
	"Member":             respBody[MemberOut](),
	"MemberList":         respBody[schemaList[MemberOut]](),
	"Container":          respBody[lifecycle.View](),
	"ContainerSummary":   respBody[lifecycle.ListEntry](),
	"ContainerList":      respBody[schemaList[any]](), // items are a Container or a ContainerSummary, by the caller's role
	"ContainerInput":     reqBody[lifecycle.Input](),
	"ContainerEvent":     respBody[EventOut](),
	"ContainerEventList": respBody[schemaList[EventOut]](),
	"Progress":           respBody[store.Progress](),
	"ProbeStatus":        respBody[store.ProbeStatus](),
	"ImageFacts":         respBody[lifecycle.ImageFacts](),
	"Candidate":          respBody[CandidateOut](),
	"CandidateList":      respBody[schemaList[CandidateOut]](),
	"TimelineFacets":     respBody[store.TimelineFacets](),
	"Job":                respBody[JobOut](),
	"JobList":            respBody[schemaList[JobOut]](),
	"LogLine":            respBody[lifecycle.LogLine](),
	"LogLineList": respBody[struct {
		Items []lifecycle.LogLine `json:"items"`
	}](),
	"Template":            respBody[TemplateOut](),
	"TemplateList":        respBody[schemaList[TemplateOut]](),
	"TemplateInput":       reqBody[settings.Patch](),
	"TemplateCopyInput":   reqBody[copyIn](),
	"TemplateApplyInput":  reqBody[applyIn](),
	"ContainerApplyInput": reqBody[containerApplyIn](),
	"TemplateDiff":        respBody[DiffOut](),
	"TimelineEvent":       respBody[timeline.Entry](),
	"TimelineEventList":   respBody[schemaList[timeline.Entry]](),
	"SodarCounts":         respBody[store.SodarCounts](),
	"SodarMessage":        respBody[store.SodarMessage](),
	"SodarRun":            respBody[store.SodarRun](),
	"SodarRunList":        respBody[schemaList[store.SodarRun]](),
	"ContainerRef":        respBody[lifecycle.ContainerRef](),
	"KnownContainer":      respBody[lifecycle.KnownContainer](),
	"SwarmNode":           respBody[lifecycle.SwarmNode](),
	"DockerContainer":     respBody[lifecycle.DockerContainer](),
	"DockerNetwork":       respBody[lifecycle.DockerNetwork](),
	"DockerVolume":        respBody[lifecycle.DockerVolume](),
	"DockerImage":         respBody[lifecycle.DockerImage](),
	"DockerOverview":      respBody[lifecycle.DockerOverview](),
	"MaintenanceItem":     respBody[lifecycle.MaintenanceItem](),
	"MaintenanceResult":   respBody[lifecycle.MaintenanceResult](),
	"MaintenanceTask":     respBody[lifecycle.MaintenanceTask](),
	"MaintenanceTaskList": respBody[schemaList[lifecycle.MaintenanceTask]](),
	"UsageSample":         respBody[usage.Sample](),
	"Capacity":            respBody[CapacityOut](),
	"CapacityHost":        respBody[CapacityHost](),
	"CapacityReserved":    respBody[CapacityReserved](),
	"CapacityCap":         respBody[CapacityCap](),
	"CapacityUsed":        respBody[CapacityUsed](),
	"AppUsage":            respBody[AppUsageOut](),
	"VolumeMount":         respBody[settings.Volume](),
	"VolumeMountInput":    reqBody[settings.Volume](),
	"VolumeUser":          respBody[lifecycle.VolumeUser](),
	"Volume":              respBody[lifecycle.VolumeView](),
	"VolumeList":          respBody[schemaList[lifecycle.VolumeView]](),
	"VolumeUploadResult":  respBody[lifecycle.UploadResult](),
	"SiteSettings":        respBody[SiteSettingsOut](),
	"SiteSettingsInput":   reqBody[sharing.SiteChange](),
	"SiteSettingsUpdate":  respBody[SiteSettingsUpdateOut](),
	"AffectedContainer":   respBody[sharing.Affected](),
	"Link":                respBody[LinkOut](),
	"LinkCreated":         respBody[LinkCreatedOut](),
	"LinkList":            respBody[schemaList[LinkOut]](),
	"LinkInput":           reqBody[linkIn](),
}

// enumSchemas are string schemas; where Go has the list of values, the enum must be that list.
var enumSchemas = map[string][]string{
	"ContainerState": containerStates(),
	"DesiredState":   nil,
	"Role":           nil,
	"ProjectSource":  nil,
	"PullPolicy":     {settings.PullIfMissing, settings.PullAlways},
	"TemplateField":  templates.DiffFields,
	"MaintenanceTaskName": {lifecycle.TaskCleanupUnused, lifecycle.TaskRemoveStopped, lifecycle.TaskRemoveVolumes, lifecycle.TaskStopAll,
		lifecycle.TaskStopIdle, lifecycle.TaskCheckUpdates},
	"VolumeScope":  {settings.ScopeContainer, settings.ScopeProject},
	"Access":       settings.AccessLevels,
	"UpdateStatus": updateStatuses(),
}

func updateStatuses() []string {
	var out []string
	for _, s := range store.UpdateStatuses {
		out = append(out, string(s))
	}
	return out
}

func containerStates() []string {
	var out []string
	for _, s := range store.States {
		out = append(out, string(s))
	}
	return out
}

// mapSchemas are answers the handlers build as maps, with where they are checked.
var mapSchemas = map[string]string{
	"Config":             "TestOpenAPIMapAnswers (GET /config)",
	"Me":                 "TestOpenAPIMapAnswers (POST /auth/login, GET /me)",
	"LogoutResult":       "TestOpenAPIMapAnswers (POST /auth/logout)",
	"SodarStatus":        "TestOpenAPIMapAnswers (GET /admin/sodar)",
	"ProjectPermissions": "TestOpenAPIProjectPermissions",
	"JobProgress":        "not checked: built as a map in lifecycle's pass.publishJob",
	"LiveHello":          "not checked: built as a map in Live.serve",
}

type schemaDoc struct {
	schemas map[string]map[string]any
}

func loadSchemas(t *testing.T) schemaDoc {
	t.Helper()
	var raw struct {
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(OpenAPIDocument(), &raw); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	return schemaDoc{schemas: raw.Components.Schemas}
}

func TestOpenAPISchemasAreAllChecked(t *testing.T) {
	doc := loadSchemas(t)
	var names []string
	for name := range doc.schemas {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		_, a := schemaTypes[name]
		_, b := enumSchemas[name]
		_, c := mapSchemas[name]
		if !a && !b && !c {
			t.Errorf("schema %s is in no table of openapi_schema_test.go: name the Go type it describes", name)
		}
	}
	for _, table := range []map[string]bool{schemaNames(schemaTypes), schemaNames(enumSchemas), schemaNames(mapSchemas)} {
		for name := range table {
			if doc.schemas[name] == nil {
				t.Errorf("the test names schema %s, which openapi.json does not have", name)
			}
		}
	}
}

func schemaNames[V any](m map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

func TestOpenAPISchemasMatchGoTypes(t *testing.T) {
	doc := loadSchemas(t)
	for name, c := range schemaTypes {
		s := doc.schemas[name]
		if s == nil {
			continue // reported by TestOpenAPISchemasAreAllChecked
		}
		t.Run(name, func(t *testing.T) {
			doc.check(t, name, s, c.typ, c.input)
		})
	}
}

func TestOpenAPIEnums(t *testing.T) {
	doc := loadSchemas(t)
	for name, want := range enumSchemas {
		s := doc.schemas[name]
		if s == nil {
			continue
		}
		if s["type"] != "string" {
			t.Errorf("%s: type %v, want string", name, s["type"])
		}
		got := enumOf(s)
		if len(got) == 0 {
			t.Errorf("%s: no enum", name)
		}
		if want != nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%s: enum %v, Go has %v", name, got, want)
		}
	}
}

func TestOpenAPIProjectPermissions(t *testing.T) {
	doc := loadSchemas(t)
	s := doc.schemas["ProjectPermissions"]
	var want []string
	for _, a := range projectPermissions {
		want = append(want, a.String())
	}
	props := sortedSchemaKeys(propertiesOf(s))
	sort.Strings(want)
	if !reflect.DeepEqual(props, want) {
		t.Errorf("ProjectPermissions lists %v, NewProjectOut sends %v", props, want)
	}
	if req := requiredOf(s); !reflect.DeepEqual(sortedSchemaKeys(req), want) {
		t.Errorf("ProjectPermissions requires %v, want all of %v", sortedSchemaKeys(req), want)
	}
}

func enumOf(s map[string]any) []string {
	var out []string
	if list, ok := s["enum"].([]any); ok {
		for _, v := range list {
			str, _ := v.(string)
			out = append(out, str)
		}
	}
	return out
}

// resolve follows a $ref, or an allOf of one $ref (the OpenAPI 3.0 way to make a reference nullable), and
// merges the objects of a longer allOf. It returns the schema and whether the outer one is nullable.
func (d schemaDoc) resolve(t *testing.T, s map[string]any) (map[string]any, bool) {
	t.Helper()
	nullable, _ := s["nullable"].(bool)
	if ref, ok := s["$ref"].(string); ok {
		target := d.schemas[strings.TrimPrefix(ref, "#/components/schemas/")]
		if target == nil {
			t.Fatalf("unresolved $ref %s", ref)
		}
		r, n := d.resolve(t, target)
		return r, nullable || n
	}
	all, ok := s["allOf"].([]any)
	if !ok {
		return s, nullable
	}
	merged := map[string]any{"type": "object", "properties": map[string]any{}, "required": []any{}}
	for i, part := range all {
		r, _ := d.resolve(t, part.(map[string]any))
		if len(all) == 1 {
			return r, nullable
		}
		if r["type"] != "object" {
			t.Fatalf("allOf part %d is not an object", i)
		}
		for k, v := range propertiesOf(r) {
			merged["properties"].(map[string]any)[k] = v
		}
		merged["required"] = append(merged["required"].([]any), r["required"].([]any)...)
	}
	return merged, nullable
}

func propertiesOf(s map[string]any) map[string]any {
	p, _ := s["properties"].(map[string]any)
	return p
}

func requiredOf(s map[string]any) map[string]bool {
	out := map[string]bool{}
	list, _ := s["required"].([]any)
	for _, v := range list {
		out[v.(string)] = true
	}
	return out
}

func sortedSchemaKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// check compares schema s (at path) with Go type typ.
func (d schemaDoc) check(t *testing.T, path string, s map[string]any, typ reflect.Type, input bool) {
	t.Helper()
	s, _ = d.resolve(t, s)
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if typ == rawType || typ.Kind() == reflect.Interface {
		return // any JSON value
	}
	kind, _ := s["type"].(string)
	want := ""
	switch {
	case typ == timeType:
		want = "string"
		if s["format"] != "date-time" {
			t.Errorf("%s: a time.Time needs format date-time, has %v", path, s["format"])
		}
	case typ.Kind() == reflect.String:
		want = "string"
	case typ.Kind() == reflect.Bool:
		want = "boolean"
	case typ.Kind() >= reflect.Int && typ.Kind() <= reflect.Uint64:
		want = "integer"
	case typ.Kind() == reflect.Float32 || typ.Kind() == reflect.Float64:
		want = "number"
	case typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array:
		want = "array"
	case typ.Kind() == reflect.Map || typ.Kind() == reflect.Struct:
		want = "object"
	default:
		t.Errorf("%s: Go type %s has no JSON kind this test knows", path, typ)
		return
	}
	if kind != want {
		t.Errorf("%s: type %q, Go %s marshals as %q", path, kind, typ, want)
		return
	}
	switch typ.Kind() {
	case reflect.Slice, reflect.Array:
		if items, ok := s["items"].(map[string]any); ok {
			d.check(t, path+"[]", items, typ.Elem(), input)
		} else {
			t.Errorf("%s: array without items", path)
		}
	case reflect.Map:
		if ap, ok := s["additionalProperties"].(map[string]any); ok {
			d.check(t, path+"{}", ap, typ.Elem(), input)
		}
		for name, p := range propertiesOf(s) {
			d.check(t, path+"."+name, p.(map[string]any), typ.Elem(), input)
		}
	case reflect.Struct:
		if typ == timeType {
			return
		}
		d.checkFields(t, path, s, typ, input)
	}
}

type jsonField struct {
	name      string
	omitempty bool
	typ       reflect.Type
}

// jsonFields lists the fields encoding/json marshals for a struct type, embedded structs flattened.
func jsonFields(typ reflect.Type) []jsonField {
	var out []jsonField
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, omitempty: strings.Contains(","+opts+",", ",omitempty,"), typ: f.Type})
	}
	return out
}

func (d schemaDoc) checkFields(t *testing.T, path string, s map[string]any, typ reflect.Type, input bool) {
	t.Helper()
	props := propertiesOf(s)
	required := requiredOf(s)
	fields := jsonFields(typ)
	seen := map[string]bool{}
	for _, f := range fields {
		seen[f.name] = true
		p, ok := props[f.name].(map[string]any)
		if !ok {
			t.Errorf("%s: Go %s has field %q, the schema does not", path, typ, f.name)
			continue
		}
		if !input {
			if f.omitempty && required[f.name] {
				t.Errorf("%s.%s: required, but Go omits it when empty (omitempty)", path, f.name)
			}
			if !f.omitempty && !required[f.name] {
				t.Errorf("%s.%s: not required, but Go always sends it", path, f.name)
			}
			_, nullable := d.resolve(t, p)
			switch f.typ.Kind() {
			case reflect.Pointer:
				if !nullable {
					t.Errorf("%s.%s: Go %s can be null, the schema is not nullable", path, f.name, f.typ)
				}
			case reflect.Slice, reflect.Map, reflect.Interface:
				// nil or not is the handler's choice; the schema says which
			default:
				if nullable && f.typ != rawType {
					t.Errorf("%s.%s: nullable, but Go %s is never null", path, f.name, f.typ)
				}
			}
		}
		d.check(t, path+"."+f.name, p, f.typ, input)
	}
	for name := range props {
		if !seen[name] {
			t.Errorf("%s: the schema has property %q, Go %s does not", path, name, typ)
		}
	}
	for name := range required {
		if !seen[name] {
			t.Errorf("%s: requires %q, which Go %s does not have", path, name, typ)
		}
	}
	if input && s["additionalProperties"] != false {
		t.Errorf("%s: a request body rejects unknown fields: set additionalProperties false", path)
	}
}
