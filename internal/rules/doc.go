// Package rules evaluates ward's HIPAA rules over the snapshot of a source
// and returns findings. Each rule is a plain Go function; its metadata
// (title, base severity, HIPAA citations, NIST SP 800-53 controls,
// remediation, the kinds of account it covers) lives in the embedded
// catalog.yaml, so reports can list the rules without running them.
//
// The package only reads: it never connects to a source. Fixes it attaches
// to findings are text for a person or a later, confirmed `ward fix` run.
// The PHI flags on grants and resources are set by the phi package before
// rules run; this package only reads them.
package rules
