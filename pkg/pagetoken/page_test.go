package pagetoken_test

import (
	"testing"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/apierr"
	"github.com/taskmesh/taskmesh/pkg/pagetoken"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

func TestStartFirstPage(t *testing.T) {
	for name, tc := range map[string]struct {
		size int32
		want int
	}{
		"no page_size": {size: 0, want: pagetoken.DefaultPageSize},
		"page_size 7":  {size: 7, want: 7},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := pagetoken.Start[cursor](&taskv1.ListTasksRequest{Query: "milk", PageSize: tc.size})
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			if p.After != nil || p.Size != tc.want {
				t.Fatalf("first page: after %+v, size %d; want nil, %d", p.After, p.Size, tc.want)
			}
			if tok, err := p.NextToken(nil); err != nil || tok != "" {
				t.Fatalf("NextToken(nil) = %q, %v; want no token: the last page", tok, err)
			}
		})
	}
}

func TestNextTokenStartsTheNextPage(t *testing.T) {
	first, err := pagetoken.Start[cursor](&taskv1.ListTasksRequest{Query: "milk", PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	next := cursor{Key: "2026-03-01 10:00:00+00", ID: "0195d3c4-7b1e-7c4a-9f1e-2d3c4b5a6978"}
	tok, err := first.NextToken(&next)
	if err != nil || tok == "" {
		t.Fatalf("NextToken = %q, %v; want a token", tok, err)
	}
	// The same query with the token, even with another page size, starts after next.
	second, err := pagetoken.Start[cursor](&taskv1.ListTasksRequest{Query: "milk", PageSize: 5, PageToken: tok})
	if err != nil {
		t.Fatalf("Start with the next token: %v", err)
	}
	if second.After == nil || *second.After != next || second.Size != 5 {
		t.Fatalf("second page: after %+v, size %d; want %+v, 5", second.After, second.Size, next)
	}
}

func TestStartRejectsATokenItCannotUse(t *testing.T) {
	first, err := pagetoken.Start[cursor](&taskv1.ListTasksRequest{Query: "milk"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := first.NextToken(&cursor{Key: "k", ID: "i"})
	if err != nil {
		t.Fatal(err)
	}
	for name, req := range map[string]*taskv1.ListTasksRequest{
		"another query":  {Query: "bread", PageToken: tok},
		"another filter": {Query: "milk", Overdue: true, PageToken: tok},
		"garbled":        {Query: "milk", PageToken: tok[:len(tok)/2] + "!"},
		"not base64":     {PageToken: "%%%"},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := pagetoken.Start[cursor](req)
			wantInvalidPageToken(t, err)
			if p.After != nil {
				t.Fatalf("Start returned cursor %+v along with its error", p.After)
			}
		})
	}
}

func TestInvalidArgumentNamesPageToken(t *testing.T) {
	wantInvalidPageToken(t, pagetoken.InvalidArgument())
}

// wantInvalidPageToken fails the test unless err reaches the client as InvalidArgument
// naming page_token.
func wantInvalidPageToken(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("no error; want InvalidArgument for page_token")
	}
	cerr, _ := apierr.ToConnect(err)
	rpctest.WantInvalid(t, cerr, "page_token")
}
