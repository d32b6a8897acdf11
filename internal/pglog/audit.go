package pglog

import (
	"bytes"

	"github.com/wardsec/ward/internal/inventory"
)

// auditScanner reads the fields of a pgaudit row: AUDIT_TYPE,
// STATEMENT_ID, SUBSTATEMENT_ID, CLASS, COMMAND, OBJECT_TYPE, OBJECT_NAME,
// STATEMENT, PARAMETER and, with pgaudit.log_rows, ROWS. pgaudit quotes a
// field only when it holds a comma, a quote or a line break.
type auditScanner struct {
	csv csvScanner
}

// auditRow is one parsed pgaudit row; slices of the message.
type auditRow struct {
	typ, class, command, objType, objName, statement, parameter []byte
	stmtID, subID                                               int64
	rows                                                        int64
	hasRows                                                     bool
}

// scan parses the text after "AUDIT: ".
func (a *auditScanner) scan(text []byte, row *auditRow) bool {
	n, spans, err := a.csv.scanSpans(text, true)
	if err != nil || n != len(text) || len(spans) < 9 || len(spans) > 10 {
		return false
	}
	var f [10][]byte
	for i, sp := range spans {
		f[i] = text[sp.start:sp.end:sp.end]
	}
	if string(f[0]) != "SESSION" && string(f[0]) != "OBJECT" {
		return false
	}
	*row = auditRow{
		typ: f[0], class: f[3], command: f[4], objType: f[5], objName: f[6],
		statement: f[7], parameter: f[8],
		stmtID: int64(atoi(f[1])), subID: int64(atoi(f[2])),
	}
	if len(spans) == 10 {
		row.rows, row.hasRows = int64(atoi(f[9])), true
	}
	return true
}

// placeholders pgaudit writes in place of a parameter list.
func isAuditPlaceholder(b []byte) bool {
	switch string(b) {
	case "<not logged>", "<none>", previouslyLogged:
		return true
	}
	return false
}

// auditEvent turns a pgaudit row into an event.
func (p *Parser) auditEvent(ev *inventory.Event, rec *record, st *session) (bool, bool, error) {
	var row auditRow
	text := rec.message[len(msgAudit):]
	if !p.audit.scan(text, &row) {
		p.skip(rec.pos, "malformed pgaudit row")
		return false, false, p.scanOnly(ev, text, "message")
	}
	ev.Action = inventory.ActionAudit
	ev.Command = p.str(row.command)
	ev.ObjectType = p.str(row.objType)
	ev.ObjectName = p.str(row.objName)
	ev.Audit = inventory.AuditFields{
		Type:           p.str(row.typ),
		StatementID:    row.stmtID,
		SubstatementID: row.subID,
		Class:          p.str(row.class),
		Rows:           row.rows,
		HasRows:        row.hasRows,
	}
	if bytes.Equal(row.statement, []byte(previouslyLogged)) {
		ev.Audit.PreviouslyLogged = true
		if st != nil && st.auditStmt == row.stmtID {
			ev.StatementSHA256 = st.auditHash
		}
	} else {
		if err := p.statement(ev, row.statement, "statement"); err != nil {
			return false, false, err
		}
		if st != nil {
			st.auditStmt, st.auditHash = row.stmtID, ev.StatementSHA256
		}
	}
	if isAuditPlaceholder(row.parameter) {
		ev.Audit.Parameter = p.str(row.parameter)
		return true, false, nil
	}
	var err error
	ev.Audit.Parameter, _, _, err = p.redactText(ev, row.parameter, "parameter", false)
	return true, false, err
}
