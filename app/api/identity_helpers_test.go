package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
)

func httptestRequest(method, path, authorization string) *http.Request {
	req := httptest.NewRequest(method, path, nil)
	req.Header.Set("Authorization", authorization)
	return req
}

func containsStr(s, sub string) bool { return strings.Contains(s, sub) }
