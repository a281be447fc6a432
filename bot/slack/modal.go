package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/escalate-app/escalate/workflow"
)

// callbackForm is the callback_id of every Escalate form; the kind of form
// is in its private metadata.
const callbackForm = "escalate_form"

// callbackNotice is a modal that only tells (no submit).
const callbackNotice = "escalate_notice"

// groupPrefix marks a Slack user group in the directory: "slackgroup:S0123".
const groupPrefix = "slackgroup:"

// formMeta is a modal's private metadata: what the form is for and where
// the button that opened it was, so that message can be updated after.
type formMeta struct {
	Form   workflow.FormKind   `json:"f"`
	Action workflow.ActionKind `json:"a,omitempty"`
	Ref    string              `json:"r,omitempty"`
	Stage  int                 `json:"s,omitempty"`
	// Version is the case version the form was drawn for: submitted after
	// a material change, it is refused (workflow.FormCommand).
	Version int    `json:"v,omitempty"`
	Risk    bool   `json:"k,omitempty"` // raise: immediate risk chosen
	Src     source `json:"src,omitzero"`
	// Keep are holders the form cannot show in a Slack picker (people on
	// another platform); they stay holders unless the form is changed
	// elsewhere.
	Keep map[string][]string `json:"x,omitempty"`
}

// source is where a click came from.
type source struct {
	Channel     string `json:"c,omitempty"`
	TS          string `json:"t,omitempty"`
	Ephemeral   bool   `json:"e,omitempty"`
	ResponseURL string `json:"u,omitempty"`
	Home        bool   `json:"h,omitempty"`
	// Reply is the interaction's response_url, for a refusal Slack will
	// not post as an ephemeral message (a person not in the conversation
	// they clicked in). It answers that click only, so forms do not keep it.
	Reply string `json:"-"`
}

func (m formMeta) encode() string {
	b, _ := json.Marshal(m)
	return string(b)
}

func decodeMeta(s string) (formMeta, error) {
	var m formMeta
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return m, fmt.Errorf("form metadata: %w", err)
	}
	return m, nil
}

// prefill is what the form's user pickers start with.
type prefill struct {
	users map[string][]string // field → Slack user ids
	keep  map[string][]string // field → holders on other platforms
}

// expandUsers turns workflow user ids into Slack user ids: Slack users as
// they are, Slack user groups ("slackgroup:S…") into their members, and
// people on other platforms into keep.
func (a *Adapter) expandUsers(ctx context.Context, ids []string) (users, keep []string) {
	for _, id := range ids {
		switch u := workflow.UserID(id); {
		case strings.HasPrefix(id, groupPrefix):
			members, err := a.api.GetUserGroupMembersContext(ctx, strings.TrimPrefix(id, groupPrefix))
			if err != nil {
				a.log.WarnContext(ctx, "expand user group", "group", strings.TrimPrefix(id, groupPrefix), "err", errCode(err))
				continue
			}
			users = append(users, members...)
		case u.Platform() == "slack":
			users = append(users, u.Local())
		case id != "":
			keep = append(keep, id)
		}
	}
	slices.Sort(users)
	return slices.Compact(users), keep
}

// prefillFor expands the form's preset people.
func (a *Adapter) prefillFor(ctx context.Context, f workflow.Form) prefill {
	p := prefill{users: map[string][]string{}, keep: map[string][]string{}}
	for _, fl := range f.Fields {
		if fl.Type != workflow.FieldUsers && fl.Type != workflow.FieldUser {
			continue
		}
		vals := fl.Values
		if fl.Value != "" {
			vals = append(vals, fl.Value)
		}
		u, k := a.expandUsers(ctx, vals)
		p.users[fl.Name], p.keep[fl.Name] = u, k
	}
	return p
}

// modal renders a form. vals are answers to show (a re-render keeps what
// was typed); risk shows the immediate-risk questions, after the emergency
// route.
func (a *Adapter) modal(f workflow.Form, meta formMeta, vals workflow.Values, pre prefill) slack.ModalViewRequest {
	var blocks []slack.Block
	if meta.Risk && len(f.Emergency) > 0 {
		// The emergency route comes first: this process never replaces an
		// immediate safeguarding response.
		text := "*:rotating_light: At risk of immediate harm? Act on the emergency route now:*"
		for _, l := range f.Emergency {
			text += "\n• " + escape(l)
		}
		blocks = append(blocks, section(truncateEscaped(text, maxSectionText)))
	}
	for _, l := range f.Intro {
		blocks = append(blocks, contextBlock(truncateEscaped(escape(l), maxSectionText)))
	}
	dir := a.eng.Env().Directory
	for _, fl := range f.Fields {
		if fl.ImmediateRisk && !meta.Risk {
			continue
		}
		in := slack.NewInputBlock(fl.Name, plain(fl.Label, 2000), nil, a.element(fl, vals, pre))
		hint := fl.Hint
		if fl.Type == workflow.FieldArea && fl.Max > 0 {
			// Slack stops the box at max_length; the hint says so first,
			// so nobody is cut off mid-sentence unawares.
			hint = strings.TrimSpace(hint + " " + workflow.RoomHint(min(fl.Max, maxInputText)))
		}
		if hint != "" {
			in.Hint = plain(hint, 2000)
		}
		in.Optional = !fl.Required || fl.Type == workflow.FieldCheckbox
		if f.Kind == workflow.FormRaise && fl.Name == workflow.FieldImmediateRisk {
			// Ticking it redraws the form with the emergency route first.
			in.DispatchAction = true
		}
		blocks = append(blocks, in)
		if k := pre.keep[fl.Name]; len(k) > 0 {
			var names []string
			for _, id := range k {
				names = append(names, dir.Name(workflow.UserID(id)))
			}
			blocks = append(blocks, contextBlock("Also holding, on another platform: "+escape(strings.Join(names, ", "))))
		}
	}
	if len(blocks) > maxViewBlocks {
		blocks = blocks[:maxViewBlocks]
	}
	if len(pre.keep) > 0 {
		meta.Keep = map[string][]string{}
		for k, v := range pre.keep {
			if len(v) > 0 {
				meta.Keep[k] = v
			}
		}
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           title(f.Title),
		Submit:          title(f.Submit),
		Close:           title("Cancel"),
		CallbackID:      callbackForm,
		PrivateMetadata: meta.encode(),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

func options(opts []workflow.Option) []*slack.OptionBlockObject {
	out := make([]*slack.OptionBlockObject, 0, len(opts))
	for _, o := range opts {
		out = append(out, slack.NewOptionBlockObject(o.Value, plain(o.Label, maxOptionText), nil))
	}
	return out
}

func findOption(opts []*slack.OptionBlockObject, v string) *slack.OptionBlockObject {
	for _, o := range opts {
		if o.Value == v {
			return o
		}
	}
	return nil
}

// element is the Slack input for one field, showing its current answer.
func (a *Adapter) element(fl workflow.FormField, vals workflow.Values, pre prefill) slack.BlockElement {
	cur, has := vals[fl.Name]
	if !has {
		cur = fl.Values
		if fl.Value != "" {
			cur = []string{fl.Value}
		}
	}
	first := ""
	if len(cur) > 0 {
		first = cur[0]
	}
	switch fl.Type {
	case workflow.FieldSelect:
		opts := options(fl.Options)
		e := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose", 150), fl.Name, opts...)
		e.InitialOption = findOption(opts, first)
		return e
	case workflow.FieldMulti:
		opts := options(fl.Options)
		e := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeStatic, plain("Choose", 150), fl.Name, opts...)
		for _, v := range cur {
			if o := findOption(opts, v); o != nil {
				e.InitialOptions = append(e.InitialOptions, o)
			}
		}
		return e
	case workflow.FieldUser:
		e := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, plain("Choose a person", 150), fl.Name)
		if has {
			if u, ok := slackUser(workflow.UserID(first)); ok {
				e.InitialUser = u
			}
		} else if u := pre.users[fl.Name]; len(u) > 0 {
			e.InitialUser = u[0]
		}
		return e
	case workflow.FieldUsers:
		e := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeUser, plain("Choose people", 150), fl.Name)
		if has {
			for _, v := range cur {
				if u, ok := slackUser(workflow.UserID(v)); ok {
					e.InitialUsers = append(e.InitialUsers, u)
				}
			}
		} else {
			e.InitialUsers = pre.users[fl.Name]
		}
		return e
	case workflow.FieldDate:
		e := slack.NewDatePickerBlockElement(fl.Name)
		if workflow.Date(first).Valid() {
			e.InitialDate = first
		}
		return e
	case workflow.FieldCheckbox:
		opt := slack.NewOptionBlockObject(fl.Name, plain("Yes", maxOptionText), nil)
		e := slack.NewCheckboxGroupsBlockElement(fl.Name, opt)
		if first != "" && first != "false" && first != "no" {
			e.InitialOptions = []*slack.OptionBlockObject{opt}
		}
		return e
	}
	e := slack.NewPlainTextInputBlockElement(nil, fl.Name)
	e.Multiline = fl.Type == workflow.FieldArea
	if fl.Max > 0 {
		e.MaxLength = min(fl.Max, maxInputText)
	}
	e.InitialValue = first
	return e
}

// valuesFrom reads a modal's state as form values (block id = field name;
// people as qualified user ids).
func valuesFrom(state *slack.ViewState) workflow.Values {
	v := workflow.Values{}
	if state == nil {
		return v
	}
	for block, actions := range state.Values {
		for _, act := range actions {
			switch act.Type {
			case slack.ActionType(slack.OptTypeStatic):
				if act.SelectedOption.Value != "" {
					v[block] = []string{act.SelectedOption.Value}
				}
			case slack.ActionType(slack.MultiOptTypeStatic), slack.ActionType(slack.METCheckboxGroups):
				for _, o := range act.SelectedOptions {
					v[block] = append(v[block], o.Value)
				}
			case slack.ActionType(slack.OptTypeUser):
				if act.SelectedUser != "" {
					v[block] = []string{string(userID(act.SelectedUser))}
				}
			case slack.ActionType(slack.MultiOptTypeUser):
				for _, u := range act.SelectedUsers {
					v[block] = append(v[block], string(userID(u)))
				}
			case slack.ActionType(slack.METDatepicker):
				if act.SelectedDate != "" {
					v[block] = []string{act.SelectedDate}
				}
			default:
				if act.Value != "" {
					v[block] = []string{act.Value}
				}
			}
		}
	}
	return v
}

// inputBlockIDs are the ids of a view's input blocks: the only keys a
// response_action errors may use.
func inputBlockIDs(blocks []slack.Block) map[string]bool {
	ids := map[string]bool{}
	for _, b := range blocks {
		if in, ok := b.(*slack.InputBlock); ok && in.BlockID != "" {
			ids[in.BlockID] = true
		}
	}
	return ids
}

// fieldErrors keys field problems by block id; problems for fields the
// view does not show go on fallback (or are dropped when there is none).
func fieldErrors(fields map[string]string, present map[string]bool, fallback string) map[string]string {
	out := map[string]string{}
	var extra []string
	for f, msg := range fields {
		if present[f] {
			out[f] = msg
		} else if msg != "" {
			extra = append(extra, msg)
		}
	}
	if len(extra) > 0 && fallback != "" {
		slices.Sort(extra)
		if out[fallback] != "" {
			extra = append([]string{out[fallback]}, extra...)
		}
		out[fallback] = strings.Join(extra, " ")
	}
	return out
}

// noticeView is a modal that only says something (a refusal after a form
// was submitted, a confirmation).
func noticeView(heading string, blocks []slack.Block) *slack.ModalViewRequest {
	if len(blocks) > maxViewBlocks {
		blocks = blocks[:maxViewBlocks]
	}
	return &slack.ModalViewRequest{
		Type: slack.VTModal, Title: title(heading), Close: title("Close"),
		CallbackID: callbackNotice, Blocks: slack.Blocks{BlockSet: blocks},
	}
}
