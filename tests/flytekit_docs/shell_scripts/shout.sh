# Upper-cases the input file into the output; names in braces are filled in as in an inline script.
tr '[:lower:]' '[:upper:]' < {inputs.text} > {outputs.loud}
