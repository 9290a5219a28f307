package handlers

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
)

// formOf is a submitted form's values, 400 when it cannot be read.
func formOf(c echo.Context) (url.Values, error) {
	form, err := c.FormParams()
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	return form, nil
}
