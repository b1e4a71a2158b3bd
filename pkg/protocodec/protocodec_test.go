package protocodec_test

import (
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/protocodec"
)

// goType matches a Go type name of the server ("*taskv1.Task", "v1.CreateTaskRequest").
var goType = regexp.MustCompile(`\*[a-z][a-z0-9]*\.[A-Z]|[a-z]+v1\.[A-Z]`)

// goTypeHint reports whether msg shows a Go type name of the server.
func goTypeHint(msg string) bool { return goType.MatchString(msg) }

func TestJSONRefusesWhatItCannotRepresent(t *testing.T) {
	codec := protocodec.JSON{}
	cases := []struct {
		name, body string
		want       string // a part of the error naming the field or the problem
	}{
		{"unknown enum name", `{"task":{"title":"x","priority":"PRIORITY_BOGUS"}}`, `at task.priority (line 1:33): invalid value for enum field priority: "PRIORITY_BOGUS"`},
		{"unknown enum name in a list", `{"priorities":["PRIORITY_HIGH","PRIORITY_BOGUS"]}`, "at priorities[1] "},
		{"unknown status", `{"status":"TASK_STATUS_BOGUS"}`, "at status "},
		{"unknown field", `{"task":{"titel":"x"}}`, `at task.titel (line 1:10): unknown field "titel"`},
		{"wrong type", `{"task":{"title":5}}`, "at task.title "},
		{"timestamp out of range", `{"dueAfter":"10000-01-01T00:00:00Z"}`, "at dueAfter "},
		{"deep", "{\n \"task\": {\"title\": \"é\", \"reminders\": [{}, {\"at\": \"x\"}]}}", "at task.reminders[1].at (line 2:"},
		{"garbled", `{"task":`, "invalid JSON"},
		{"not an object", `[1,2]`, "invalid JSON"},
		{"empty", ``, "empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var msg proto.Message = &taskv1.ListTasksRequest{}
			if strings.Contains(c.body, "task") {
				msg = &taskv1.CreateTaskRequest{}
			}
			err := codec.Unmarshal([]byte(c.body), msg)
			if err == nil {
				t.Fatalf("Unmarshal(%s) accepted it: %v", c.body, msg)
			}
			if !strings.Contains(err.Error(), c.want) || goTypeHint(err.Error()) {
				t.Fatalf("Unmarshal(%s) = %q; want it to mention %q and no Go type", c.body, err, c.want)
			}
		})
	}
}

func TestJSONReadsValidBodies(t *testing.T) {
	var req taskv1.CreateTaskRequest
	if err := (protocodec.JSON{}).Unmarshal([]byte(`{"task":{"title":"x","priority":"PRIORITY_HIGH","tag_ids":[]}}`), &req); err != nil {
		t.Fatal(err)
	}
	if req.GetTask().GetPriority() != taskv1.Priority_PRIORITY_HIGH {
		t.Fatalf("priority = %v", req.GetTask().GetPriority())
	}
	var list taskv1.ListTasksRequest
	if err := (protocodec.JSON{}).Unmarshal([]byte(`{"priorities":[3]}`), &list); err != nil {
		t.Fatal(err) // a number is read as the number; protovalidate's defined_only judges it
	}
}

func TestProtoErrorsNameNoGoType(t *testing.T) {
	err := (protocodec.Proto{}).Unmarshal([]byte{0xff, 0xff, 0xff}, &taskv1.CreateTaskRequest{})
	if err == nil || goTypeHint(err.Error()) || !strings.Contains(err.Error(), "invalid protobuf body") {
		t.Fatalf("Unmarshal(garbage) = %v", err)
	}
}

// FuzzJSONUnmarshal: whatever body arrives, decoding answers a message or an error that
// shows no Go type, and never panics; a decoded message re-encodes and decodes the same.
func FuzzJSONUnmarshal(f *testing.F) {
	for _, s := range []string{
		`{"task":{"title":"x","priority":"PRIORITY_BOGUS"}}`,
		`{"task":{"title":"Café","tagIds":["7F3C2A9E-0000-4000-8000-000000000001"]}}`,
		`{"task":{"title":"x","due":{"at":"0001-01-01T00:00:00Z"},"recurrence":{"frequency":"FREQUENCY_DAILY","interval":1}}}`,
		`{"task":{"title":"x","due":{"date":{"year":9999,"month":12,"day":31}}}}`,
		`{"task":{"title":"\u200b"}}`, `{"task":`, `{"task":{"titel":"x"}}`, `{"task":{"priority":99}}`,
		`{"task":{"due":{"at":"10000-01-01T00:00:00Z"}}}`,
	} {
		f.Add([]byte(s))
	}
	codec := protocodec.JSON{}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req taskv1.CreateTaskRequest
		err := codec.Unmarshal(body, &req)
		if err != nil {
			if goTypeHint(err.Error()) {
				t.Fatalf("error names a Go type: %v", err)
			}
			return
		}
		out, err := codec.Marshal(&req)
		if err != nil {
			t.Fatalf("re-encode %v: %v", &req, err)
		}
		var again taskv1.CreateTaskRequest
		if err := codec.Unmarshal(out, &again); err != nil || !proto.Equal(&req, &again) {
			t.Fatalf("round trip of %s: %v, %v", out, &again, err)
		}
	})
}
