from nlp_contact.cli import entry

entry()
