//! Reading a new password: the first line of stdin when it is not a terminal,
//! else asked for twice without echo.

use std::io::{BufRead, IsTerminal};

use crate::secret::Secret;

/// The password for `user add`.
pub(super) fn read_new_password() -> Result<Secret, String> {
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        let first = rpassword::prompt_password("Password: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        let second = rpassword::prompt_password("Password again: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        if first != second {
            return Err("the two passwords differ".into());
        }
        first
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
        line.strip_suffix('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .unwrap_or(&line)
            .to_owned()
    };
    if password.is_empty() {
        return Err("the password is empty".into());
    }
    Ok(Secret::from(password))
}
