// Command testop runs a small OpenID Provider for browser tests and local trials of single sign-on. Users:
// alice / alice-password (group kiosc-admins) and bob / bob-password (group staff).
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/bihealth/kiosc/app/testbed/testop/oidcop"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:9998", "address to listen on")
	issuer := flag.String("issuer", "", "issuer URL (default http://<listen>)")
	clientID := flag.String("client-id", "kiosc", "client ID")
	secret := flag.String("client-secret", "kiosc-secret", "client secret")
	redirect := flag.String("redirect", "http://127.0.0.1:8080/auth/oidc/callback", "allowed redirect URIs (comma-separated)")
	postLogout := flag.String("post-logout", "http://127.0.0.1:8080/login", "allowed post-logout redirect URIs (comma-separated)")
	flag.Parse()
	if *issuer == "" {
		*issuer = "http://" + *addr
	}
	h := oidcop.New(oidcop.Config{
		Issuer: *issuer, ClientID: *clientID, ClientSecret: *secret,
		RedirectURIs: strings.Split(*redirect, ","), PostLogoutURIs: strings.Split(*postLogout, ","),
		Users: []oidcop.User{
			{ID: "sub-alice", Username: "alice", Password: "alice-password", GivenName: "Alice", FamilyName: "Admin", Email: "alice@example.org", Groups: []string{"kiosc-admins"}},
			{ID: "sub-bob", Username: "bob", Password: "bob-password", GivenName: "Bob", FamilyName: "Builder", Email: "bob@example.org", Groups: []string{"staff"}},
		},
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stdout, "testop listening on %s issuer %s\n", ln.Addr(), *issuer)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}
