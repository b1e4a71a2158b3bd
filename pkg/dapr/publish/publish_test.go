package publish_test

import (
	"maps"
	"testing"

	"github.com/taskmesh/taskmesh/pkg/dapr/publish"
)

// TestMetadataCarriesTheCloudEventOverrides: the id and type become Dapr's CloudEvent
// overrides next to the message's own metadata, which is left as it was.
func TestMetadataCarriesTheCloudEventOverrides(t *testing.T) {
	own := map[string]string{"reason": "cannot decode"}
	m := publish.Message{Topic: "t", ID: "ev-1", Type: "taskmesh.deadletter", Metadata: own}
	want := map[string]string{"reason": "cannot decode", "cloudevent.id": "ev-1", "cloudevent.type": "taskmesh.deadletter"}
	if got := publish.Metadata(m); !maps.Equal(got, want) {
		t.Fatalf("Metadata = %v; want %v", got, want)
	}
	if len(own) != 1 {
		t.Fatalf("the message's own metadata was changed: %v", own)
	}
	if got := publish.Metadata(publish.Message{}); len(got) != 0 {
		t.Fatalf("Metadata of a bare message = %v; want none", got)
	}
	if publish.ContentType(m) != "application/json" || publish.ContentType(publish.Message{ContentType: "text/plain"}) != "text/plain" {
		t.Fatal("ContentType: want application/json by default, the message's own otherwise")
	}
}
