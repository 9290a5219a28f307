package session

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
)

// cookieValues is everything a session cookie may hold, in a fixed shape:
// decoding it is a small JSON object, where gob, the cookie library's
// default, compiles a decoder for every cookie it reads (a sixth of the
// cost of a whole signed-in page).
type cookieValues struct {
	Secret     string   `json:"s,omitempty"`
	CSRF       string   `json:"c,omitempty"`
	Flash      []string `json:"f,omitempty"`
	NewToken   string   `json:"t,omitempty"`
	NewTokenID int64    `json:"i,omitempty"`
}

// serializer turns a session's values into cookieValues' JSON and back. It
// still reads the gob of cookies written before it, so that no one is
// signed out by the change.
type serializer struct{}

func (serializer) Serialize(src any) ([]byte, error) {
	m, ok := src.(map[any]any)
	if !ok {
		return nil, fmt.Errorf("session: cannot store %T", src)
	}
	var v cookieValues
	for k, val := range m {
		var ok bool
		switch k {
		case keySecret:
			v.Secret, ok = val.(string)
		case keyCSRF:
			v.CSRF, ok = val.(string)
		case keyNewToken:
			v.NewToken, ok = val.(string)
		case keyNewTokenID:
			v.NewTokenID, ok = val.(int64)
		case keyFlash:
			var list []any
			if list, ok = val.([]any); ok {
				for _, f := range list {
					s, isString := f.(string)
					ok = ok && isString
					v.Flash = append(v.Flash, s)
				}
			}
		}
		if !ok {
			return nil, fmt.Errorf("session: cannot store %v = %T", k, val)
		}
	}
	return json.Marshal(v)
}

func (serializer) Deserialize(src []byte, dst any) error {
	m, ok := dst.(*map[any]any)
	if !ok {
		return fmt.Errorf("session: cannot read into %T", dst)
	}
	if !bytes.HasPrefix(src, []byte("{")) {
		// A cookie written before cookieValues.
		return gob.NewDecoder(bytes.NewReader(src)).Decode(dst)
	}
	var v cookieValues
	if err := json.Unmarshal(src, &v); err != nil {
		return err
	}
	out := map[any]any{}
	set := func(k string, s string) {
		if s != "" {
			out[k] = s
		}
	}
	set(keySecret, v.Secret)
	set(keyCSRF, v.CSRF)
	set(keyNewToken, v.NewToken)
	if v.NewTokenID != 0 {
		out[keyNewTokenID] = v.NewTokenID
	}
	if len(v.Flash) > 0 {
		list := make([]any, len(v.Flash))
		for i, f := range v.Flash {
			list[i] = f
		}
		out[keyFlash] = list
	}
	*m = out
	return nil
}
