#!/bin/sh
echo "hello from sh"
