package paths

import (
	"strconv"

	"patpolicy/policy"
)

// Token is the page of one of the signed-in user's tokens of kind.
func Token(kind policy.Kind, id int64) string {
	base := "/settings/personal-access-tokens/"
	if kind == policy.KindClassic {
		base = "/settings/tokens/"
	}
	return base + strconv.FormatInt(id, 10)
}

// GrantRequest is an organization's page of one token request, where its
// owners review it.
func GrantRequest(org string, grantID int64) string {
	return "/organizations/" + org + "/settings/personal-access-token-requests/" + strconv.FormatInt(grantID, 10)
}
