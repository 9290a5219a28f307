package session

import (
	"reflect"
	"testing"

	"github.com/gorilla/securecookie"
)

func TestSerializerKeepsEverythingASessionHolds(t *testing.T) {
	in := map[any]any{keySecret: "ab12", keyCSRF: "cd34", keyNewToken: "ghp_x", keyNewTokenID: int64(42),
		keyFlash: []any{"Saved.", "Approved."}}
	b, err := serializer{}.Serialize(in)
	if err != nil {
		t.Fatal(err)
	}
	var out map[any]any
	if err := (serializer{}).Deserialize(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("read back %#v, want %#v", out, in)
	}
	if _, err := (serializer{}).Serialize(map[any]any{"uid": 7}); err == nil {
		t.Error("a value the cookie has no place for was stored")
	}
}

// A cookie written before the JSON shape (gob) still reads: no one is
// signed out by the change.
func TestSerializerReadsCookiesWrittenWithGob(t *testing.T) {
	hash, block := []byte("0123456789abcdef0123456789abcdef"), []byte("0123456789abcdef0123456789abcdef")
	old := securecookie.New(hash, block) // gob, the library's default
	encoded, err := old.Encode("patpolicy_session", map[any]any{keySecret: "ab12", keyFlash: []any{"Saved."}})
	if err != nil {
		t.Fatal(err)
	}
	now := securecookie.New(hash, block)
	now.SetSerializer(serializer{})
	var got map[any]any
	if err := now.Decode("patpolicy_session", encoded, &got); err != nil {
		t.Fatal(err)
	}
	if got[keySecret] != "ab12" || !reflect.DeepEqual(got[keyFlash], []any{"Saved."}) {
		t.Errorf("read %#v", got)
	}
}

func BenchmarkSessionCookieDecode(b *testing.B) {
	hash, block := []byte("0123456789abcdef0123456789abcdef"), []byte("0123456789abcdef0123456789abcdef")
	for _, tc := range []struct {
		name string
		s    securecookie.Serializer
	}{{"gob", securecookie.GobEncoder{}}, {"json", serializer{}}} {
		b.Run(tc.name, func(b *testing.B) {
			sc := securecookie.New(hash, block)
			sc.SetSerializer(tc.s)
			enc, err := sc.Encode("s", map[any]any{keySecret: "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				var m map[any]any
				if err := sc.Decode("s", enc, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
