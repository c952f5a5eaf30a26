package lifecycle

import (
	"encoding/json"

	"github.com/bihealth/kiosc/app/settings"
)

// Input holds the writable fields of a container create or PATCH request: the settings, and what belongs to a
// container alone (its secrets, its registry credentials and the template it came from). Absent fields are nil and
// stay unchanged.
type Input struct {
	settings.Patch
	SecretEnvironment map[string]any  `json:"secret_environment"`
	RegistryAuth      json.RawMessage `json:"registry_auth"`
	Template          *string         `json:"template"`
}

// Validate checks every present field, returning errors by field name (empty when valid). create requires image
// and title.
func (in *Input) Validate(create bool, lim settings.Limits) map[string]string {
	errs := in.Patch.Validate(create, lim)
	settings.ValidateEnv(errs, "secret_environment", in.SecretEnvironment, true)
	for k := range in.SecretEnvironment {
		if _, ok := in.Environment[k]; ok {
			errs["secret_environment."+k] = "also set in environment"
		}
	}
	if len(in.RegistryAuth) > 0 && string(in.RegistryAuth) != "null" {
		var ra struct {
			Username *string `json:"username"`
			Password *string `json:"password"`
		}
		if err := json.Unmarshal(in.RegistryAuth, &ra); err != nil {
			errs["registry_auth"] = `must be {"username", "password"} or null`
		} else if ra.Username == nil || *ra.Username == "" || ra.Password == nil || *ra.Password == "" {
			errs["registry_auth"] = "username and password are required"
		}
	}
	if in.Template != nil && len(*in.Template) > 64 {
		errs["template"] = "must be a template uuid"
	}
	return errs
}
