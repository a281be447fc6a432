package config

import (
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with a configuration, named by where it is:
// a YAML path ("policy.stages[2].window") or an environment variable
// ("ESCALATE_ENCRYPTION_KEY").
type Problem struct {
	Path    string
	Line    int // the line in the YAML file, 0 when unknown or from the environment
	Message string
}

func (p Problem) String() string {
	s := p.Path + ": " + p.Message
	if p.Line > 0 {
		s += fmt.Sprintf(" (line %d)", p.Line)
	}
	return s
}

// Error is every problem found in a configuration. Loading reports them all
// at once, so an administrator fixes a file in one pass rather than one
// error per run.
type Error struct {
	Source   string // the file, or "the built-in practice configuration"
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	n := len(e.Problems)
	if n == 1 {
		fmt.Fprintf(&b, "%s has a problem:", e.Source)
	} else {
		fmt.Fprintf(&b, "%s has %d problems:", e.Source, n)
	}
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// problems collects problems while a configuration is read, and knows the
// line of every YAML path it has seen.
type problems struct {
	list  []Problem
	lines map[string]int
}

func newProblems() *problems { return &problems{lines: map[string]int{}} }

// add records a problem at path; the line is that of the nearest enclosing
// path the file spelled out.
func (p *problems) add(path, format string, a ...any) {
	p.list = append(p.list, Problem{Path: path, Line: p.lineOf(path), Message: fmt.Sprintf(format, a...)})
}

func (p *problems) lineOf(path string) int {
	for path != "" {
		if l, ok := p.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i <= 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

func (p *problems) err(source string) error {
	if len(p.list) == 0 {
		return nil
	}
	// In the order of the file, then the problems that have no line (the
	// environment, or something missing from the file).
	list := append([]Problem(nil), p.list...)
	slices.SortStableFunc(list, func(a, b Problem) int {
		switch {
		case a.Line == b.Line:
			return 0
		case a.Line == 0:
			return 1
		case b.Line == 0:
			return -1
		}
		return a.Line - b.Line
	})
	return &Error{Source: source, Problems: list}
}

// takeEnvironment removes and returns the problems named by an environment
// variable alone (ESCALATE_ENCRYPTION_KEY, REDIS_URL, …): they say what
// this machine lacks, not what the file gets wrong.
func (p *problems) takeEnvironment() []Problem {
	var env, rest []Problem
	for _, pr := range p.list {
		if isEnvName(pr.Path) {
			env = append(env, pr)
		} else {
			rest = append(rest, pr)
		}
	}
	p.list = rest
	return env
}

func isEnvName(path string) bool {
	if path == "" {
		return false
	}
	for _, r := range path {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}
