package pagetoken_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/pagetoken"
)

// cursor is a keyset cursor shaped like the api's store.TaskCursor.
type cursor struct {
	Key  string `json:"k,omitempty"`
	Null bool   `json:"n,omitempty"`
	ID   string `json:"i"`
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	fp := pagetoken.Fingerprint(&taskv1.ListTasksRequest{Query: "milk"})
	for _, c := range []cursor{
		{},
		{Key: "2026-03-01 10:00:00.123456+01", ID: "0195d3c4-7b1e-7c4a-9f1e-2d3c4b5a6978"},
		{Null: true, ID: "0195d3c4-7b1e-7c4a-9f1e-2d3c4b5a6978"},
		{Key: `wéird "title" \ with <html> & ünïcode 🎉`, ID: "x"},
	} {
		tok, err := pagetoken.Encode(fp, c)
		if err != nil {
			t.Fatalf("Encode(%+v): %v", c, err)
		}
		got, err := pagetoken.Decode[cursor](tok, fp)
		if err != nil {
			t.Fatalf("Decode(Encode(%+v)): %v", c, err)
		}
		if got != c {
			t.Fatalf("round trip: got %+v; want %+v", got, c)
		}
		if _, err := base64.RawURLEncoding.DecodeString(tok); err != nil {
			t.Fatalf("token %q is not unpadded base64url: %v", tok, err)
		}
	}
}

func TestDecodeRejectsAnotherFingerprint(t *testing.T) {
	fpA := pagetoken.Fingerprint(&taskv1.ListTasksRequest{Query: "a"})
	fpB := pagetoken.Fingerprint(&taskv1.ListTasksRequest{Query: "b"})
	if fpA == fpB {
		t.Fatal("queries a and b have the same fingerprint")
	}
	tok, err := pagetoken.Encode(fpA, cursor{Key: "k", ID: "i"})
	if err != nil {
		t.Fatal(err)
	}
	for _, fp := range []string{fpB, "", fpA + "x", fpA[:len(fpA)-1]} {
		got, err := pagetoken.Decode[cursor](tok, fp)
		if !errors.Is(err, pagetoken.ErrInvalid) {
			t.Fatalf("Decode with fingerprint %q: err = %v; want ErrInvalid", fp, err)
		}
		if got != (cursor{}) {
			t.Fatalf("Decode with fingerprint %q returned cursor %+v along with its error", fp, got)
		}
	}
}

func TestDecodeRejectsGarbage(t *testing.T) {
	fp := pagetoken.Fingerprint(&taskv1.ListTasksRequest{})
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for name, tok := range map[string]string{
		"not base64":       "!!!",
		"padded base64":    padded(`{"q":"` + fp + `","c":{}}`),
		"std alphabet":     "+/+/",
		"not json":         b64("hello"),
		"json array":       b64(`[1,2]`),
		"wrong cursor":     b64(`{"q":"` + fp + `","c":"nope"}`),
		"wrong key type":   b64(`{"q":"` + fp + `","c":{"k":12}}`),
		"no fingerprint":   b64(`{"c":{"k":"x","i":"y"}}`),
		"wrong query type": b64(`{"q":1,"c":{}}`),
		"truncated json":   b64(`{"q":"` + fp + `","c":{"k":"x"`),
	} {
		if _, err := pagetoken.Decode[cursor](tok, fp); !errors.Is(err, pagetoken.ErrInvalid) {
			t.Errorf("%s: Decode(%q) err = %v; want ErrInvalid", name, tok, err)
		}
	}
}

// padded is s in padded base64url (s is lengthened with a space when it would need no
// padding).
func padded(s string) string {
	if len(s)%3 == 0 {
		s += " "
	}
	return base64.URLEncoding.EncodeToString([]byte(s))
}

func TestFingerprintIgnoresPaging(t *testing.T) {
	base := &taskv1.ListTasksRequest{Query: "milk", Status: taskv1.TaskStatus_TASK_STATUS_PENDING}
	want := pagetoken.Fingerprint(base)
	paged := proto.CloneOf(base)
	paged.PageSize = 7
	paged.PageToken = "some-token"
	if got := pagetoken.Fingerprint(paged); got != want {
		t.Fatalf("page_size/page_token changed the fingerprint: %q != %q", got, want)
	}
	if paged.GetPageSize() != 7 || paged.GetPageToken() != "some-token" {
		t.Fatalf("Fingerprint modified its argument: %v", paged)
	}
	if got := pagetoken.Fingerprint(proto.CloneOf(base)); got != want {
		t.Fatalf("fingerprint is not deterministic: %q != %q", got, want)
	}
}

// TestFingerprintChangesWithEveryFilter sets each field of ListTasksRequest but the paging
// ones in turn; each must give another fingerprint. A field added to the request later
// fails the test until it is listed here.
func TestFingerprintChangesWithEveryFilter(t *testing.T) {
	at := timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	set := map[protoreflect.Name]func(r *taskv1.ListTasksRequest){
		"query":           func(r *taskv1.ListTasksRequest) { r.Query = "milk" },
		"status":          func(r *taskv1.ListTasksRequest) { r.Status = taskv1.TaskStatus_TASK_STATUS_COMPLETED },
		"priorities":      func(r *taskv1.ListTasksRequest) { r.Priorities = []taskv1.Priority{taskv1.Priority_PRIORITY_HIGH} },
		"tag_ids":         func(r *taskv1.ListTasksRequest) { r.TagIds = []string{"0195d3c4-7b1e-7c4a-9f1e-2d3c4b5a6978"} },
		"due_after":       func(r *taskv1.ListTasksRequest) { r.DueAfter = at },
		"due_before":      func(r *taskv1.ListTasksRequest) { r.DueBefore = at },
		"overdue":         func(r *taskv1.ListTasksRequest) { r.Overdue = true },
		"no_due":          func(r *taskv1.ListTasksRequest) { r.NoDue = true },
		"include_deleted": func(r *taskv1.ListTasksRequest) { r.IncludeDeleted = true },
		"sort_by":         func(r *taskv1.ListTasksRequest) { r.SortBy = taskv1.TaskSortField_TASK_SORT_FIELD_TITLE },
		"descending":      func(r *taskv1.ListTasksRequest) { r.Descending = true },
	}
	paging := map[protoreflect.Name]bool{"page_size": true, "page_token": true}
	fields := (&taskv1.ListTasksRequest{}).ProtoReflect().Descriptor().Fields()
	for i := range fields.Len() {
		name := fields.Get(i).Name()
		if _, ok := set[name]; !ok && !paging[name] {
			t.Errorf("ListTasksRequest.%s is not covered by this test", name)
		}
	}
	empty := pagetoken.Fingerprint(&taskv1.ListTasksRequest{})
	seen := map[string]protoreflect.Name{"": "(empty request)"}
	seen[empty] = "(empty request)"
	for name, fn := range set {
		r := &taskv1.ListTasksRequest{}
		fn(r)
		fp := pagetoken.Fingerprint(r)
		if other, dup := seen[fp]; dup {
			t.Errorf("setting %s gives the fingerprint of %s: %q", name, other, fp)
		}
		seen[fp] = name
	}
	// Values of one field matter too, not only whether it is set.
	a := pagetoken.Fingerprint(&taskv1.ListTasksRequest{Query: "a"})
	b := pagetoken.Fingerprint(&taskv1.ListTasksRequest{Query: "b"})
	if a == b {
		t.Errorf("queries a and b share fingerprint %q", a)
	}
	asc := pagetoken.Fingerprint(&taskv1.ListTasksRequest{SortBy: taskv1.TaskSortField_TASK_SORT_FIELD_DUE})
	prio := pagetoken.Fingerprint(&taskv1.ListTasksRequest{SortBy: taskv1.TaskSortField_TASK_SORT_FIELD_PRIORITY})
	if asc == prio {
		t.Errorf("sort by due and by priority share fingerprint %q", asc)
	}
}

// FuzzDecode: Decode never panics, and succeeds only for a token that carries exactly
// the fingerprint it is checked against.
func FuzzDecode(f *testing.F) {
	fp := pagetoken.Fingerprint(&taskv1.ListTasksRequest{Query: "a"})
	good, err := pagetoken.Encode(fp, cursor{Key: "2026-01-01 00:00:00+00", ID: "0195d3c4-7b1e-7c4a-9f1e-2d3c4b5a6978"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, fp)
	f.Add(good, "")
	f.Add(good[:len(good)/2], fp)
	f.Add("", "")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"q":"","c":{}}`)), "")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"Q":"x","q":"y","c":{"k":1e999}}`)), "y")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte("{\"q\":\"x\",\"c\":{\"k\\u0000\":\"\\u0000\"}}")), "x")
	f.Fuzz(func(t *testing.T, token, fingerprint string) {
		got, err := pagetoken.Decode[cursor](token, fingerprint)
		if err != nil {
			if !errors.Is(err, pagetoken.ErrInvalid) {
				t.Fatalf("Decode error %v is not ErrInvalid", err)
			}
			if got != (cursor{}) {
				t.Fatalf("Decode returned cursor %+v along with its error", got)
			}
			return
		}
		// Success: the token must really carry this fingerprint.
		raw, derr := base64.RawURLEncoding.DecodeString(token)
		if derr != nil {
			t.Fatalf("Decode accepted %q, which is not base64url: %v", token, derr)
		}
		var env struct {
			Query string `json:"q"`
		}
		if jerr := json.Unmarshal(raw, &env); jerr != nil {
			t.Fatalf("Decode accepted %q, which is not a JSON object: %v", raw, jerr)
		}
		if env.Query != fingerprint {
			t.Fatalf("Decode accepted %q for fingerprint %q", raw, fingerprint)
		}
		if _, err := pagetoken.Decode[cursor](token, fingerprint+"x"); !errors.Is(err, pagetoken.ErrInvalid) {
			t.Fatalf("token %q also decodes for fingerprint %q", raw, fingerprint+"x")
		}
		// A decoded cursor encodes back to a token that decodes to the same cursor.
		again, err := pagetoken.Encode(fingerprint, got)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", got, err)
		}
		if back, err := pagetoken.Decode[cursor](again, fingerprint); err != nil || back != got {
			t.Fatalf("re-encoded cursor %+v decodes to %+v, %v", got, back, err)
		}
	})
}
