package lifecycle

import (
	"testing"
)

func TestExpand(t *testing.T) {
	p := Placeholders{BasePath: "/containers/proxy/u1/", PublicURL: "http://k/containers/proxy/u1/", ContainerUUID: "u1"}
	got := p.Expand("--base=${KIOSC_BASE_PATH} --url=${KIOSC_PUBLIC_URL} --id=${KIOSC_CONTAINER_UUID} --p=__KIOSC_URL_PREFIX__/x ${HOME}")
	want := "--base=/containers/proxy/u1/ --url=http://k/containers/proxy/u1/ --id=u1 --p=/containers/proxy/u1/x ${HOME}"
	if got != want {
		t.Errorf("got %q", got)
	}
}
