// Package api is the REST API v1: the handlers, one file per resource, each a module that registers its routes
// under /api/v1. The shared HTTP basics (errors, decoding, authentication, CSRF) are in package web; the timeline
// recorder is in package timeline.
package api
