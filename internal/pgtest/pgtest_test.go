package pgtest

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

var srv *Server

func TestMain(m *testing.M) { os.Exit(Main(m, &srv)) }

// TestServerIsRealAndLoopbackOnly checks that the helper starts a real
// server with pgaudit preloaded that listens on 127.0.0.1 only.
func TestServerIsRealAndLoopbackOnly(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.SuperDSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	checks := map[string]string{
		"listen_addresses":         "127.0.0.1",
		"shared_preload_libraries": "pgaudit",
		"unix_socket_directories":  "",
	}
	for name, want := range checks {
		var got string
		if err := conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if !strings.HasPrefix(srv.Password(), "FAKE-") {
		t.Errorf("test superuser password is not marked FAKE")
	}
}

func TestWriteHBAReloads(t *testing.T) {
	ctx := context.Background()
	if err := srv.WriteHBA(ctx, []string{"host all all 192.0.2.0/24 trust"}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, srv.SuperDSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx,
		"SELECT count(*) FROM pg_hba_file_rules WHERE auth_method = 'trust'").Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("trust lines after WriteHBA = %d, want 1", n)
	}
}
