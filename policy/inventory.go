package policy

import "time"

// InventoryStatus is how a token stands in an organization's token
// inventory: the list of every token that can reach the organization.
type InventoryStatus string

// The inventory's statuses. A row shows exactly one, the first that holds
// in this order: pending, blocked by policy, expiring soon, inactive,
// active. As filters, Active selects every token usable in the
// organization now, so it includes the rows shown as expiring soon or
// inactive; Expiring soon and Inactive select the usable tokens for which
// each holds (a token both expiring soon and inactive is shown as expiring
// soon and found by either filter); Pending and Blocked by policy select
// exactly the rows shown so.
const (
	InventoryActive   InventoryStatus = "active"
	InventoryPending  InventoryStatus = "pending"
	InventoryExpiring InventoryStatus = "expiring"
	InventoryBlocked  InventoryStatus = "blocked"
	InventoryInactive InventoryStatus = "inactive"
)

// InventoryStatuses lists the statuses in the order the filter offers them.
var InventoryStatuses = []InventoryStatus{InventoryActive, InventoryPending, InventoryExpiring, InventoryBlocked, InventoryInactive}

// Label is the status as the inventory shows it.
func (s InventoryStatus) Label() string {
	switch s {
	case InventoryActive:
		return "Active"
	case InventoryPending:
		return "Pending"
	case InventoryExpiring:
		return "Expiring soon"
	case InventoryBlocked:
		return "Blocked by policy"
	case InventoryInactive:
		return "Inactive"
	}
	return ""
}

// Valid reports whether s is one of the statuses.
func (s InventoryStatus) Valid() bool { return s.Label() != "" }

// ExpiringSoonDays is how close to its expiry a usable token is "expiring
// soon".
const ExpiringSoonDays = 7

// DefaultInactiveDays is how long a usable token may go without reaching
// an organization before the inventory calls it inactive there, where the
// organization sets no limit of its own.
const DefaultInactiveDays = 90

// InventoryFacts is what the inventory knows of one token in one
// organization.
type InventoryFacts struct {
	Token *Credential // Kind, CreatedAt, ExpiresAt, and Grant for a fine-grained token
	// IsOwner: the token's owner owns the organization (exempt from the
	// maximum lifetimes where the enterprise exempts administrators).
	IsOwner bool
	// LastUsed is the token's last call that reached the organization;
	// zero for never.
	LastUsed time.Time
	// InactiveDays is the organization's inactivity limit, 0 for
	// DefaultInactiveDays.
	InactiveDays int
}

// InventoryStatusOf says how a token the inventory lists (a fine-grained
// token with a pending or approved grant, or a classic token, not expired,
// of a member) stands in an organization whose policy in force is eff, at
// now:
//   - pending: a fine-grained token whose request awaits an owner's review;
//   - blocked by policy: BlockedByPolicy (access restricted for its kind,
//     the organization not opted in for a fine-grained one, or a lifetime
//     above the maximum, unless its owner is an exempt administrator);
//   - expiring soon: it expires within ExpiringSoonDays;
//   - inactive: it has not reached the organization for the inactivity
//     limit (a token never used counts from its creation);
//   - active otherwise.
func InventoryStatusOf(f InventoryFacts, eff Effective, now time.Time) InventoryStatus {
	t := f.Token
	switch {
	case t.Kind == KindFineGrained && t.Grant == GrantPending:
		return InventoryPending
	case BlockedByPolicy(t, eff, f.IsOwner):
		return InventoryBlocked
	case ExpiringSoon(t.ExpiresAt, now):
		return InventoryExpiring
	case Inactive(t.CreatedAt, f.LastUsed, f.InactiveDays, now):
		return InventoryInactive
	}
	return InventoryActive
}

// ExpiringSoon reports whether a token expiring at expiresAt (zero: never)
// expires within ExpiringSoonDays of now.
func ExpiringSoon(expiresAt, now time.Time) bool {
	return !expiresAt.IsZero() && !expiresAt.After(SoonAfter(now))
}

// SoonAfter is the last expiry that counts as expiring soon at now.
func SoonAfter(now time.Time) time.Time { return now.AddDate(0, 0, ExpiringSoonDays) }

// InactiveSince is the time before which a token's last use (or, never
// used, its creation) makes it inactive at now, for a limit of days (0:
// DefaultInactiveDays).
func InactiveSince(now time.Time, days int) time.Time {
	if days <= 0 {
		days = DefaultInactiveDays
	}
	return now.AddDate(0, 0, -days)
}

// Inactive reports whether a token created at created and last used at
// lastUsed (zero: never) is inactive at now for a limit of days.
func Inactive(created, lastUsed time.Time, days int, now time.Time) bool {
	since := lastUsed
	if since.IsZero() {
		since = created
	}
	return since.Before(InactiveSince(now, days))
}
