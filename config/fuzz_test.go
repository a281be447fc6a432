package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse reads any YAML as a configuration file, with everything a
// production deployment sets in the environment. It either loads, and
// then its policy and calendar are usable (WorkflowEnv succeeds), or it is
// refused with a *Error whose every problem names where it is (a YAML path
// or an environment variable) and says what is wrong. Reading the same
// file twice gives the same answer.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("presets/*.yaml")
	seeds = append(seeds, "example.yaml")
	more, _ := filepath.Glob("testdata/policies/*.yaml")
	for _, p := range append(seeds, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("policy:\n  preset: coventry\n"))
	f.Add([]byte("policy: [1, 2]\n"))
	f.Add([]byte("env: prod\n"))
	f.Add([]byte("retention:\n  days_after_closure: -1\n"))
	f.Add([]byte("\t- : :"))
	getenv := env(productionEnv...)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, getenv)
		_, err2 := Parse(data, getenv)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("the same file read twice: %v, then %v", err, err2)
		}
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || len(ce.Problems) == 0 {
				t.Fatalf("refused without naming a problem: %v", err)
			}
			for _, p := range ce.Problems {
				if p.Path == "" || p.Message == "" {
					t.Fatalf("a problem names no field or says nothing: %+v in %v", p, err)
				}
			}
			return
		}
		if c.Policy == nil || len(c.Policy.Stages) == 0 {
			t.Fatalf("loaded without a policy")
		}
		if _, _, err := c.WorkflowEnv(); err != nil {
			t.Fatalf("loaded, but the workflow cannot use it: %v", err)
		}
	})
}
