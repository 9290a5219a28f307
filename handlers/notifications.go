package handlers

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"patpolicy/db"
	"patpolicy/views"
	"patpolicy/web/guard"
	"patpolicy/web/paths"
	"patpolicy/web/render"
)

// NotificationStore reads and marks a user's notifications.
type NotificationStore interface {
	NotificationsOf(ctx context.Context, userID int64, limit int) ([]db.Notification, error)
	MarkNotificationsRead(ctx context.Context, userID, upTo int64) error
}

// Notifications serves the signed-in user's notifications.
type Notifications struct {
	Store NotificationStore
	Now   func() time.Time
}

const notificationsShown = 50

// List shows the newest notifications.
func (h Notifications) List(c echo.Context) error {
	ns, err := h.Store.NotificationsOf(c.Request().Context(), guard.User(c).ID, notificationsShown)
	if err != nil {
		return err
	}
	now := h.Now()
	p := views.NotificationsPage{}
	for i, n := range ns {
		if i == 0 {
			p.UpTo = idString(n.ID)
		}
		if n.Unread {
			p.Unread++
		}
		p.Items = append(p.Items, views.NotificationItem{Message: n.Message, URL: n.Link, Age: ago(n.CreatedAt, now), Unread: n.Unread})
	}
	return render.Page(c, http.StatusOK, views.NotificationsView(Chrome(c, "Notifications"), p))
}

// MarkRead marks the notifications the user saw as read.
func (h Notifications) MarkRead(c echo.Context) error {
	upTo, err := strconv.ParseInt(c.FormValue("up_to"), 10, 64)
	if err != nil || upTo <= 0 {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "The notifications to mark could not be read. Reload the page and try again.")
	}
	if err := h.Store.MarkNotificationsRead(c.Request().Context(), guard.User(c).ID, upTo); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, paths.Notifications)
}
