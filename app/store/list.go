package store

import (
	"context"
	"database/sql"
)

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(...any) error }

// listQuery is one paginated list: cols and from (" FROM table ..." with its joins) select the rows, where and args
// filter them, order sorts them.
type listQuery struct {
	cols, from, where, order string
	args                     []any
	// unpaged lets a page without a limit read every row (lists the lifecycle needs whole); otherwise such a page
	// gets the default page size.
	unpaged bool
}

// listPage returns one page of q's rows and the number of all rows that match.
func listPage[T any](ctx context.Context, db *sql.DB, q listQuery, page Page, scan func(rowScanner) (T, error)) ([]T, int, error) {
	var total int
	if err := db.QueryRowContext(ctx, `SELECT count(*)`+q.from+` WHERE `+q.where, q.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	sel, args := `SELECT `+q.cols+q.from+` WHERE `+q.where+` ORDER BY `+q.order, q.args
	if !q.unpaged || page.Limit > 0 {
		p := page.Clamp()
		sel += ` LIMIT ? OFFSET ?`
		args = append(args[:len(args):len(args)], p.Limit, p.Offset)
	}
	rows, err := db.QueryContext(ctx, sel, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, total, rows.Err()
}
