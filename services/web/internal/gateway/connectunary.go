package gateway

import "net/http"

// connectUnaryContentTypes are the request types of a Connect unary call over POST with
// the codecs the gateway transcodes (vanguard accepts JSON with its charset too).
var connectUnaryContentTypes = map[string]bool{
	"application/json":                true,
	"application/json; charset=utf-8": true,
	"application/proto":               true,
}

// connectUnary marks a POST of JSON or binary protobuf to a method as a Connect unary
// call. The Connect protocol makes Connect-Protocol-Version optional and connect-go
// servers accept a call without it (it is how Connect's docs show curl), but vanguard
// reads such a request as REST, finds no HTTP rule for the path and answers 404. Mounted
// only on the public services' paths, so that is all it sees.
func connectUnary(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && len(r.Header.Values("Connect-Protocol-Version")) == 0 {
			if ct := r.Header.Values("Content-Type"); len(ct) == 1 && connectUnaryContentTypes[ct[0]] {
				r.Header.Set("Connect-Protocol-Version", "1")
			}
		}
		next.ServeHTTP(w, r)
	})
}
